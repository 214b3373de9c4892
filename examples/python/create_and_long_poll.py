"""Create a pause, then long-poll: each GET holds up to 55 s until the answer comes."""
import os, requests

API = os.environ.get("PAUSEPOINT_URL", "http://127.0.0.1:8787")
KEY = os.environ.get("PAUSEPOINT_API_KEY") or open(".wrangler/dev-api-key").read().strip()
H = {"Authorization": f"Bearer {KEY}"}

pause = requests.post(f"{API}/v1/pause", headers=H, json={
    "recipient": "+1 (312) 847-1928",
    "message": "Deploy v2.4 to production?",
    "options": ["Deploy", "Hold"],
    "timeout_hours": 1,
    "timeout_default": "Hold",
}).json()
print("created", pause["pause_id"], flush=True)
while pause["status"] == "pending":
    pause = requests.get(f"{API}/v1/pause/{pause['pause_id']}", params={"wait": 55}, headers=H, timeout=70).json()
print(pause["status"], pause["response_choice"], pause["responded_by"])
