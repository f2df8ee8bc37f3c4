/**
 * Stands in for `ajv` and `ajv-formats` in the Workers bundle (wrangler.toml `[alias]`). The MCP
 * SDK's server imports its Ajv validator even when another is configured; cairn always passes the
 * @cfworker/json-schema one (src/mcp/mcp-server.ts), so this is never constructed, and the bundle
 * stays free of Ajv, which compiles schemas with `new Function` (forbidden on workerd).
 */
export default class NoAjv {
  constructor() {
    throw new Error('Ajv is not bundled on Workers: configure a jsonSchemaValidator instead.');
  }
}
