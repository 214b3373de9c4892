"""Create a pause and poll until it is answered (the product's seed example)."""
import os, time, requests

API = os.environ.get("PAUSEPOINT_URL", "http://127.0.0.1:8787")
KEY = os.environ.get("PAUSEPOINT_API_KEY") or open(".wrangler/dev-api-key").read().strip()
H = {"Authorization": f"Bearer {KEY}"}

r = requests.post(f"{API}/v1/pause", headers=H, json={
    "recipient": "+1 (312) 847-1928",
    "message": "Wire $8,400 to Meridian?",
    "options": ["Approve", "Reject"],
    "timeout_hours": 4,
    "timeout_default": "Reject",
})
r.raise_for_status()
pause_id = r.json()["pause_id"]
print("created", pause_id, flush=True)
while True:
    p = requests.get(f"{API}/v1/pause/{pause_id}", headers=H).json()
    if p["status"] != "pending":
        break
    time.sleep(2)
print(p["status"], p["response_choice"], p["responded_by"])
