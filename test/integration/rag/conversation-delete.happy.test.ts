import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import { chatRoute } from '../../../src/rag/chat/chat.routes.ts';
import { listConversationsRoute } from '../../../src/rag/conversations/conversations.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, queueText } from '../../helpers/rag.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('DELETE /conversations/{id} on %s', (kind) => {
  const t = useTestApp(kind, { env: { EMBEDDING_DIMENSIONS: '64' } });

  it('deletes the conversation and its messages, leaving the other conversations', async () => {
    const sub = 'conv-del-alice';
    await queueText(t, sub, { title: 'Notes', content: '# Vacuum\nVACUUM reclaims storage.' });
    await drain(t);
    const first = await readBody(
      await t.as(sub, '/chat', postJson({ message: 'What does VACUUM do?' })),
      chatRoute,
      200,
    );
    const second = await readBody(
      await t.as(sub, '/chat', postJson({ message: 'storage?' })),
      chatRoute,
      200,
    );
    const res = await t.as(sub, `/conversations/${first.conversation_id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    await expectProblem(await t.as(sub, `/conversations/${first.conversation_id}`), 404);
    const list = await readBody(await t.as(sub, '/conversations'), listConversationsRoute, 200);
    expect(list.items.map((c) => c.id)).toEqual([second.conversation_id]);
    const messages = rowsOf<{ n: number }>(
      await t.database.db.execute(
        sql`select count(*)::int as n from messages where conversation_id = ${first.conversation_id}`,
      ),
    );
    expect(messages[0]?.n).toBe(0);
  });
});
