// OpenAI Agents JS: `wire_money` needs approval; a person approves or rejects it through
// PausePoint and the run resumes from its state. `model` is any Agents SDK model (the
// test passes a scripted one).
import { Agent, Runner, tool } from '@openai/agents';
import { z } from 'zod';
import { runWithApprovals } from '@pausepoint/sdk/openai-agents';

export const wired = [];
const wireMoney = tool({
  name: 'wire_money',
  description: 'Wire money to a payee',
  parameters: z.object({ amount: z.number(), to: z.string() }),
  needsApproval: true,
  execute: async ({ amount, to }) => { wired.push([amount, to]); return `Wired $${amount} to ${to}.`; },
});

export async function pay(model, { client, recipient = '+13128471928' } = {}) {
  const agent = new Agent({ name: 'Payments', instructions: 'Pay what the user asks.', model, tools: [wireMoney] });
  const runner = new Runner({ tracingDisabled: true });
  const result = await runWithApprovals(runner, agent, "Pay Meridian's invoice: $8400.", { client, recipient, timeout: 3600 });
  return result.finalOutput;
}
