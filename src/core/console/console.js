// PausePoint console: copy buttons, the test-pause form without a page reload, and
// lists that refresh themselves while the page is open. Everything works without it.
(function () {
  'use strict';
  document.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-copy]');
    if (!b) return;
    var src = document.getElementById(b.getAttribute('data-copy'));
    if (!src || !navigator.clipboard) return;
    navigator.clipboard.writeText(src.textContent).then(function () {
      var was = b.textContent;
      b.textContent = 'Copied';
      setTimeout(function () { b.textContent = was; }, 1500);
    });
  });

  function refresh(el) {
    return fetch(el.getAttribute('data-live'), { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && html !== el.innerHTML) el.innerHTML = html; })
      .catch(function () {});
  }
  var started = Date.now();
  function tick() {
    if (Date.now() - started > 15 * 60 * 1000) return; // stop after 15 minutes
    var live = document.querySelectorAll('[data-live]');
    Promise.all(Array.prototype.map.call(live, refresh)).then(function () { setTimeout(tick, 2000); });
  }
  if (document.querySelector('[data-live]')) setTimeout(tick, 2000);

  var form = document.getElementById('test-pause');
  if (form) {
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var status = document.getElementById('test-status');
      var button = form.querySelector('button');
      button.disabled = true;
      status.textContent = 'Sending…';
      fetch(form.action, {
        method: 'POST', credentials: 'same-origin',
        headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(new FormData(form)).toString()
      }).then(function (r) { return r.json(); }).then(function (j) {
        status.textContent = j.message || (j.pause_id ? 'Sent.' : 'Could not send.');
        var list = document.getElementById('recent');
        if (list) refresh(list);
      }).catch(function () {
        status.textContent = 'Could not send: check your connection and try again.';
      }).then(function () { button.disabled = false; });
    });
  }
})();
