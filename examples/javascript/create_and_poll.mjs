// Create a pause and poll until it is answered. Node 18+ (global fetch).
import { readFileSync } from 'node:fs';

const API = process.env.PAUSEPOINT_URL ?? 'http://127.0.0.1:8787';
const KEY = process.env.PAUSEPOINT_API_KEY ?? readFileSync('.wrangler/dev-api-key', 'utf8').trim();
const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

const res = await fetch(`${API}/v1/pause`, {
  method: 'POST',
  headers,
  body: JSON.stringify({
    recipient: '+1 (312) 847-1928',
    message: 'Wire $8,400 to Meridian?',
    options: ['Approve', 'Reject'],
    timeout_hours: 4,
    timeout_default: 'Reject',
  }),
});
if (!res.ok) throw new Error(`create failed: ${res.status} ${await res.text()}`);
let pause = await res.json();
console.log('created', pause.pause_id);
while (pause.status === 'pending') {
  await new Promise((r) => setTimeout(r, 2000));
  pause = await (await fetch(`${API}/v1/pause/${pause.pause_id}`, { headers })).json();
}
console.log(pause.status, pause.response_choice, pause.responded_by);
