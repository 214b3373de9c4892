// The TypeScript framework hooks, through the examples in sdk/typescript/examples, with
// the real framework packages and scripted models (no LLM, no network): the Vercel AI
// SDK with its own MockLanguageModelV4 (`ai/test`), and OpenAI Agents JS with a scripted
// Model. The person answers on the response page of the real service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startService, choose, eventually } from './harness.mjs';
import { buildTypeScript, SDK_TS } from './sdk_helpers.mjs';

process.env.OPENAI_AGENTS_DISABLE_TRACING = '1'; // no trace export: nothing leaves 127.0.0.1
const load = (rel) => import(pathToFileURL(join(SDK_TS, rel)).href);

let svc, acct, sdk, client;
before(async () => {
  buildTypeScript();
  sdk = await load('dist/index.js');
  svc = await startService();
  acct = await svc.createAccount('SDK integrations', 'enterprise');
  client = new sdk.PausePoint({ apiKey: acct.live_key, baseUrl: svc.base });
});
after(async () => svc?.cleanup());

/// Waits for a pending pause asking `message`, taps option `index`, returns the pause.
async function answerWhenAsked(message, index) {
  const p = await eventually(async () => (await client.pauses.list({ status: 'pending', limit: 20 })).data.find((x) => x.message === message), { timeoutMs: 20_000 });
  assert.ok(p, `no pending pause asking ${message}`);
  const r = await choose(await svc.linkFor(p.pause_id), index);
  assert.equal(r.status, 200);
  return p;
}

const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
const toolCallStep = (id, input) => ({
  content: [{ type: 'tool-call', toolCallId: id, toolName: 'wireMoney', input: JSON.stringify(input) }],
  finishReason: { unified: 'tool-calls', raw: undefined }, usage, warnings: [],
});
const textStep = (text) => ({ content: [{ type: 'text', text }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] });

test('AI SDK 7 toolApproval: approved runs the tool, denied tells the model why', async () => {
  const { MockLanguageModelV4 } = await load('test/deps.mjs');
  const ex = await load('examples/ai-sdk.mjs');

  const model = new MockLanguageModelV4({ doGenerate: [toolCallStep('c1', { amount: 8400, to: 'Meridian' }), textStep('Paid.')] });
  const [result, asked] = await Promise.all([ex.pay(model, { client }), answerWhenAsked('Run wireMoney for $8400?', 0)]);
  assert.equal(result.text, 'Paid.');
  assert.deepEqual(ex.wired, [[8400, 'Meridian']]);
  assert.equal(asked.context, 'wireMoney({"amount":8400,"to":"Meridian"})');
  assert.deepEqual(asked.metadata, { tool: 'wireMoney', tool_call_id: 'c1' });

  const denied = new MockLanguageModelV4({ doGenerate: [toolCallStep('c2', { amount: 99, to: 'Mallory' }), textStep('Not paid.')] });
  const [r2, p2] = await Promise.all([ex.pay(denied, { client }), answerWhenAsked('Run wireMoney for $99?', 1)]);
  assert.equal(r2.text, 'Not paid.');
  assert.deepEqual(ex.wired, [[8400, 'Meridian']], 'the denied call did not run');
  const told = JSON.stringify(denied.doGenerateCalls.at(-1).prompt);
  assert.match(told, /not approved/);
  assert.ok(told.includes(p2.pause_id), 'the model sees the pause id in the denial');
});

test('AI SDK needsApproval (6-style): approvalResponses answers the approval requests', async () => {
  const { MockLanguageModelV4 } = await load('test/deps.mjs');
  const { generateText, tool, stepCountIs, z } = await load('test/deps.mjs');
  const { approvalResponses } = await load('dist/ai.js');
  const ran = [];
  const tools = {
    wireMoney: tool({ inputSchema: z.object({ amount: z.number(), to: z.string() }), needsApproval: true, execute: async (i) => (ran.push(i), 'done') }),
  };
  const model = new MockLanguageModelV4({ doGenerate: [toolCallStep('c3', { amount: 5, to: 'Ann' }), textStep('Done.')] });
  const messages = [{ role: 'user', content: 'Pay Ann $5' }];
  const first = await generateText({ model, tools, messages, stopWhen: stepCountIs(5) });
  assert.ok(first.content.some((p) => p.type === 'tool-approval-request'));
  assert.equal(ran.length, 0);
  const [reply] = await Promise.all([approvalResponses(first.content, { client, recipient: '+13128471928' }), answerWhenAsked('Allow wireMoney?', 0)]);
  assert.equal(reply.content[0].approved, true);
  messages.push(...first.response.messages, reply);
  const second = await generateText({ model, tools, messages, stopWhen: stepCountIs(5) });
  assert.equal(second.text, 'Done.');
  assert.deepEqual(ran, [{ amount: 5, to: 'Ann' }]);
});

test('OpenAI Agents JS: needsApproval interruptions resolved through PausePoint, run resumed', async () => {
  const { Usage } = await load('test/deps.mjs');
  const ex = await load('examples/openai-agents.mjs');
  const scripted = (steps) => ({
    calls: [],
    async getResponse(req) { this.calls.push(req); return { usage: new Usage(), output: steps.shift(), responseId: `r${this.calls.length}` }; },
    async *getStreamedResponse() { throw new Error('not scripted'); },
  });
  const call = (id, args) => [{ type: 'function_call', id: `fc_${id}`, callId: id, name: 'wire_money', arguments: JSON.stringify(args), status: 'completed' }];
  const say = (text) => [{ type: 'message', id: 'm1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] }];

  const model = scripted([call('call_1', { amount: 8400, to: 'Meridian' }), say('Paid.')]);
  const [out, asked] = await Promise.all([ex.pay(model, { client }), answerWhenAsked('Allow wire_money?', 0)]);
  assert.equal(out, 'Paid.');
  assert.deepEqual(ex.wired, [[8400, 'Meridian']]);
  assert.deepEqual(asked.metadata, { tool: 'wire_money', tool_call_id: 'call_1' });

  const denied = scripted([call('call_2', { amount: 99, to: 'Mallory' }), say('Not paid.')]);
  const [out2, p2] = await Promise.all([ex.pay(denied, { client }), answerWhenAsked('Allow wire_money?', 1)]);
  assert.equal(out2, 'Not paid.');
  assert.deepEqual(ex.wired, [[8400, 'Meridian']], 'the rejected call did not run');
  const told = JSON.stringify(denied.calls.at(-1).input);
  assert.match(told, /not approved/);
  assert.ok(told.includes(p2.pause_id));
});
