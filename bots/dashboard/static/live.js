// Live updates for the dashboard: listen to /live (server-sent events) and re-fetch the
// server-rendered fragment of any element with data-live-src. The server applies the
// permission rules to fragments, so the stream itself only carries event types and ids.
"use strict";
(function () {
  let timer = null;
  function refresh() {
    for (const box of document.querySelectorAll("[data-live-src]")) {
      // Do not replace a form someone is filling in.
      if (box.contains(document.activeElement) && document.activeElement.tagName !== "BODY") continue;
      fetch(box.dataset.liveSrc, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then((r) => {
          if (r.redirected || r.status === 401) { location.reload(); return null; }  // logged out
          return r.ok ? r.text() : null;
        })
        .then((html) => {
          if (html === null) return;
          // The fragment is our own server's escaped HTML; parse it inertly, then adopt it.
          const doc = new DOMParser().parseFromString(html, "text/html");
          box.replaceChildren(...Array.from(doc.body.childNodes).map((n) => document.importNode(n, true)));
        })
        .catch(() => {});
    }
  }
  function schedule() {
    if (timer) return;
    timer = setTimeout(() => { timer = null; refresh(); }, 250);
  }
  document.addEventListener("DOMContentLoaded", () => {
    if (!window.EventSource) return;
    const dot = document.getElementById("live-status");
    const caseBox = document.querySelector("[data-case]#case-live");
    const source = new EventSource("/live");
    source.onopen = () => { if (dot) dot.classList.add("on"); };
    source.onerror = () => { if (dot) dot.classList.remove("on"); };
    source.onmessage = (e) => {
      let ev;
      try { ev = JSON.parse(e.data); } catch (_e) { return; }
      if (caseBox && ev.case_id && ev.case_id !== caseBox.dataset.case) return;
      schedule();
    };
  });
})();
