// @pausepoint/sdk: ask a person, await the answer.
//
//   const client = new PausePoint(); // PAUSEPOINT_API_KEY, PAUSEPOINT_BASE_URL
//   const pause = await client.pauses.create({ recipient: '+13128471928', message: 'Deploy?', options: ['Approve', 'Reject'] });
//   const { choice } = await pause.wait({ timeout: 3600 });
export { PausePoint, OPERATIONS, VERSION, DEFAULT_BASE_URL } from './client.js';
export type { ClientOptions, Pause } from './client.js';
export * from './errors.js';
export type * from './types.js';
export { verifyWebhook, sign as signWebhook } from './webhooks.js';
export { requireApproval, describeCall } from './approval.js';
export type { ApprovalOptions, Decision } from './approval.js';
