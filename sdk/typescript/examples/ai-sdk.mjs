// Vercel AI SDK 7: every call of `wireMoney` waits for a person's answer on their phone.
// `model` is any AI SDK model (the test passes the SDK's MockLanguageModelV4).
import { generateText, tool, stepCountIs } from 'ai';
import { z } from 'zod';
import { pausePointApproval } from '@pausepoint/sdk/ai';

export const wired = [];
export const tools = {
  wireMoney: tool({
    description: 'Wire money to a payee',
    inputSchema: z.object({ amount: z.number(), to: z.string() }),
    execute: async ({ amount, to }) => { wired.push([amount, to]); return `Wired $${amount} to ${to}.`; },
  }),
};

export async function pay(model, { client, recipient = '+13128471928' } = {}) {
  return generateText({
    model,
    tools,
    toolApproval: pausePointApproval({ client, recipient, message: (name, input) => `Run ${name} for $${input.amount}?`, timeout: 3600 }),
    stopWhen: stepCountIs(5),
    prompt: "Pay Meridian's invoice: $8400.",
  });
}
