// Create a pause, then long-poll: each GET holds up to 55 s until the answer comes.
import { readFileSync } from 'node:fs';

const API = process.env.PAUSEPOINT_URL ?? 'http://127.0.0.1:8787';
const KEY = process.env.PAUSEPOINT_API_KEY ?? readFileSync('.wrangler/dev-api-key', 'utf8').trim();
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

let pause = await (await fetch(`${API}/v1/pause`, {
  method: 'POST',
  headers,
  body: JSON.stringify({
    recipient: '+1 (312) 847-1928',
    message: 'Deploy v2.4 to production?',
    options: ['Deploy', 'Hold'],
    timeout_hours: 1,
    timeout_default: 'Hold',
  }),
})).json();
console.log('created', pause.pause_id);
while (pause.status === 'pending') {
  pause = await (await fetch(`${API}/v1/pause/${pause.pause_id}?wait=55`, { headers })).json();
}
console.log(pause.status, pause.response_choice, pause.responded_by);
