// PausePoint from Go, standard library only.
//
//	go run . poll                       create a pause and poll until it is answered
//	go run . longpoll                   the same with long-polling (?wait=55)
//	go run . verify SECRET ID TS SIGS   verify a webhook; the body on standard input
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type Pause struct {
	PauseID        string  `json:"pause_id"`
	Status         string  `json:"status"`
	ResponseChoice *string `json:"response_choice"`
	RespondedBy    *string `json:"responded_by"`
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func call(method, url, key string, body any) (Pause, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Timeout: 70 * time.Second}).Do(req)
	if err != nil {
		return Pause{}, err
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		b, _ := io.ReadAll(res.Body)
		return Pause{}, fmt.Errorf("%s: %s", res.Status, b)
	}
	var p Pause
	return p, json.NewDecoder(res.Body).Decode(&p)
}

// Verify checks a Standard Webhooks signature header against the body.
func Verify(secret, id, ts, signatures string, body []byte) bool {
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(t, 0)).Abs() > 5*time.Minute {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	expected := mac.Sum(nil)
	for _, s := range strings.Split(signatures, " ") {
		if strings.HasPrefix(s, "v1,") {
			if got, err := base64.StdEncoding.DecodeString(s[3:]); err == nil && hmac.Equal(got, expected) {
				return true
			}
		}
	}
	return false
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "verify" {
		body, _ := io.ReadAll(os.Stdin)
		if Verify(os.Args[2], os.Args[3], os.Args[4], os.Args[5], body) {
			fmt.Println("valid")
			return
		}
		fmt.Println("invalid")
		os.Exit(1)
	}
	api := env("PAUSEPOINT_URL", "http://127.0.0.1:8787")
	keyBytes, _ := os.ReadFile(".wrangler/dev-api-key")
	key := env("PAUSEPOINT_API_KEY", strings.TrimSpace(string(keyBytes)))
	p, err := call("POST", api+"/v1/pause", key, map[string]any{
		"recipient": "+1 (312) 847-1928", "message": "Wire $8,400 to Meridian?",
		"options": []string{"Approve", "Reject"}, "timeout_hours": 4, "timeout_default": "Reject",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("created", p.PauseID)
	long := len(os.Args) > 1 && os.Args[1] == "longpoll"
	for p.Status == "pending" {
		url := api + "/v1/pause/" + p.PauseID
		if long {
			url += "?wait=55"
		} else {
			time.Sleep(2 * time.Second)
		}
		if p, err = call("GET", url, key, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Println(p.Status, *p.ResponseChoice, *p.RespondedBy)
}
