// The quick start: ask a person, await the answer. Needs `make dev` running and
// PAUSEPOINT_API_KEY set (make dev writes it to .wrangler/dev-api-key).
import { PausePoint } from '@pausepoint/sdk';

const client = new PausePoint(); // PAUSEPOINT_API_KEY; PAUSEPOINT_BASE_URL (default http://127.0.0.1:8787)
const pause = await client.pauses.create({ recipient: '+1 (312) 847-1928', message: 'Wire $8,400 to Meridian?',
  options: ['Approve', 'Reject'], timeout_hours: 4, timeout_default: 'Reject' });
const decision = await pause.wait({ timeout: 3600 }); // one long-poll at a time, never a sleep loop
console.log(decision.choice, decision.responded_by);
