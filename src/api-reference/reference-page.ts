// A self-contained interactive API reference: no CDN (cairn must work offline and on Workers),
// rendered in the browser from /openapi.json, with a "try it" form per operation.
export const referencePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cairn API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:20px;margin:0}header input{flex:1;min-width:240px;padding:6px 8px;border-radius:4px;border:0}
main{max-width:1000px;margin:0 auto;padding:16px 24px}h2{margin:24px 0 8px;text-transform:capitalize}
details{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:10px 12px;display:flex;gap:12px;align-items:center}
.m{font:600 12px monospace;padding:2px 8px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f7d4f}.post{background:#2f5f9e}.delete{background:#a33}.put,.patch{background:#9a6a12}
.body{padding:0 12px 12px}code,pre,textarea{font:13px/1.4 ui-monospace,monospace}
pre{background:#f0f2f5;padding:8px;overflow:auto;max-height:360px;border-radius:4px}
textarea{width:100%;min-height:120px;box-sizing:border-box}label{display:block;margin:6px 0}
button{background:#2f5f9e;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}
.lock{font-size:12px;color:#9a6a12}
</style>
</head>
<body>
<header><h1>cairn API</h1><span id="version"></span>
<input id="token" placeholder="Bearer token (npm run token -- --sub alice)" aria-label="Bearer token"></header>
<main id="ops"><p>Loading /openapi.json…</p></main>
<script>
const $ = (tag, attrs = {}, ...kids) => { const el = document.createElement(tag); Object.assign(el, attrs); el.append(...kids); return el; };
const tokenInput = document.getElementById('token');
tokenInput.value = localStorage.getItem('cairn-token') || '';
tokenInput.addEventListener('change', () => localStorage.setItem('cairn-token', tokenInput.value.trim()));
let spec;
const resolve = (s) => (s && s.$ref ? resolve(spec.components.schemas[s.$ref.split('/').pop()]) : s || {});
function example(schema, depth = 0) {
  const s = resolve(schema);
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth);
  if (depth > 5) return null;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || s.properties) {
    const out = {};
    for (const [k, v] of Object.entries(s.properties || {})) if ((s.required || []).includes(k)) out[k] = example(v, depth + 1);
    return out;
  }
  if (type === 'array') return [example(s.items, depth + 1)];
  return { string: 'text', integer: 1, number: 1, boolean: true }[type] ?? null;
}
function operation(path, method, op) {
  const params = (op.parameters || []).filter((p) => p.in === 'path' || p.in === 'query');
  const inputs = params.map((p) => { const i = $('input', { name: p.name, placeholder: p.name }); i.dataset.in = p.in; return [p, i]; });
  const jsonBody = op.requestBody && op.requestBody.content['application/json'];
  const bodyArea = jsonBody ? $('textarea', { value: JSON.stringify(example(jsonBody.schema), null, 2) }) : null;
  const out = $('pre', { textContent: '' });
  const send = $('button', { textContent: 'Send request', type: 'button' });
  send.addEventListener('click', async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const [p, i] of inputs) {
      if (!i.value) continue;
      if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(i.value));
      else query.set(p.name, i.value);
    }
    if ([...query].length) url += '?' + query;
    const headers = {};
    if (tokenInput.value.trim()) headers.Authorization = 'Bearer ' + tokenInput.value.trim();
    if (bodyArea) headers['Content-Type'] = 'application/json';
    out.textContent = 'Sending…';
    try {
      const res = await fetch(url, { method: method.toUpperCase(), headers, body: bodyArea ? bodyArea.value : undefined });
      const text = await res.text();
      let shown = text; try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch {}
      out.textContent = res.status + ' ' + res.statusText + '\\n' + [...res.headers].map(([k, v]) => k + ': ' + v).join('\\n') + '\\n\\n' + shown;
    } catch (e) { out.textContent = String(e); }
  });
  const summary = $('summary', {}, $('span', { className: 'm ' + method, textContent: method.toUpperCase() }), $('code', { textContent: path }), $('span', { textContent: op.summary || '' }));
  if (op.security && op.security.length) summary.append($('span', { className: 'lock', textContent: 'bearer' }));
  const body = $('div', { className: 'body' });
  if (op.description) body.append($('p', { textContent: op.description }));
  for (const [p, i] of inputs) body.append($('label', { textContent: p.in + ' ' + p.name + (p.required ? ' *' : '') + ' ' }, i));
  if (jsonBody) body.append($('p', { textContent: 'JSON body' }), bodyArea);
  const codes = Object.keys(op.responses || {}).join(', ');
  body.append($('p', { textContent: 'Responses: ' + codes }), send, out);
  return $('details', {}, summary, body);
}
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  spec = doc;
  document.getElementById('version').textContent = doc.info.version + ' · OpenAPI ' + doc.openapi;
  const groups = {};
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) (groups[(op.tags || ['other'])[0]] ||= []).push(operation(path, method, op));
  const main = document.getElementById('ops'); main.replaceChildren();
  for (const [tag, ops] of Object.entries(groups)) main.append($('h2', { textContent: tag }), ...ops);
}).catch((e) => { document.getElementById('ops').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>`;
