// channelwatch playground: a tiny chat client. Every piece of user text is set with
// textContent and dir="auto" - never innerHTML - so hostile text stays inert and
// right-to-left scripts lay out correctly.
"use strict";
(function () {
  const base = location.pathname.replace(/\/$/, "");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const state = { rooms: [], users: [], messages: {}, inbox: {}, cards: {}, room: null, unread: {} };
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) { e.textContent = text; e.dir = "auto"; }
    return e;
  }
  // A label next to other text: isolate it so a right-to-left name does not swallow its
  // neighbours (the timestamp, the "#").
  function isolated(tag, cls, text) {
    const e = el(tag, cls);
    const b = document.createElement("bdi");
    b.textContent = text;
    e.appendChild(b);
    return e;
  }
  function time(at) {
    return new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function currentUser() { return state.users.find((u) => u.id === $("user").value) || state.users[0]; }

  function renderMessage(m) {
    const li = el("li", "msg " + m.kind + (m.state === "restored" ? " restored" : ""));
    li.dataset.id = m.id;
    li.dataset.state = m.state;
    if (m.kind === "notice") {
      li.appendChild(el("span", "who", "channelwatch notice"));
      const p = el("p", "text", m.text);
      if (m.lang) p.lang = m.lang;
      li.appendChild(p);
    } else if (m.kind === "system") {
      li.appendChild(el("p", "text", m.text));
    } else {
      li.appendChild(isolated("span", "who", m.author));
      li.appendChild(el("time", "at", time(m.at)));
      if (m.state === "restored") li.appendChild(el("span", "tag", "restored by a moderator"));
      li.appendChild(el("p", "text", m.text));
    }
    return li;
  }

  function renderRoom() {
    const room = state.rooms.find((r) => r.id === state.room);
    const title = $("room-title");
    title.replaceChildren();
    if (room) {
      const name = document.createElement("bdi");
      name.textContent = room.title;
      title.append("#", name);
    }
    $("room-topic").textContent = room ? room.topic : "";
    const list = $("messages");
    list.replaceChildren();
    for (const m of state.messages[state.room] || []) {
      if (m.state !== "hidden") list.appendChild(renderMessage(m));
    }
    list.scrollTop = list.scrollHeight;
    for (const b of document.querySelectorAll("button.room")) {
      b.classList.toggle("active", b.dataset.room === state.room);
      const badge = b.querySelector(".badge");
      const n = state.unread[b.dataset.room] || 0;
      badge.hidden = n === 0;
      badge.textContent = String(n);
    }
  }

  function renderSide() {
    const user = currentUser();
    if (!user) return;
    $("inbox-user").replaceChildren(isolated("span", null, user.name));
    const items = state.inbox[user.id] || [];
    const list = $("inbox");
    list.replaceChildren();
    for (const it of items) {
      const li = el("li", "pm");
      li.appendChild(el("time", "at", time(it.at)));
      const p = el("p", "text", it.text);
      p.lang = it.lang;
      li.appendChild(p);
      list.appendChild(li);
    }
    $("inbox-empty").hidden = items.length > 0;
    // The user's own hidden posts: they can appeal, as they would by replying to the bot.
    const mine = $("appeals");
    mine.replaceChildren();
    for (const c of Object.values(state.cards)) {
      if (c.author_id !== user.id || c.status === "dismissed") continue;
      const li = el("li", "appeal");
      li.appendChild(el("p", "muted", "Your hidden post (case " + c.status + "):"));
      li.appendChild(el("p", "text", c.text));
      const form = el("form", "appeal-form");
      const box = el("textarea");
      box.rows = 2; box.maxLength = 1000; box.required = true; box.dir = "auto";
      box.placeholder = "Why is this decision wrong?";
      const send = el("button", null, "Appeal");
      send.type = "submit";
      form.append(box, send);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        try {
          await api("/api/appeal", { case_id: c.case_id, user: user.id, text: box.value });
          showError("");
        } catch (err) { showError(err.message); }
      });
      li.appendChild(form);
      mine.appendChild(li);
    }
    $("modcards-section").hidden = !user.is_admin;
    const cards = $("cards");
    cards.replaceChildren();
    for (const c of Object.values(state.cards).reverse()) {
      const li = el("li", "card " + c.priority + " " + c.status);
      li.dataset.case = c.case_id;
      const head = el("div", "cardhead");
      head.appendChild(el("span", "prio", c.priority));
      head.appendChild(el("span", "label", c.label + " " + c.score));
      head.appendChild(el("span", "status", c.status));
      li.appendChild(head);
      li.appendChild(isolated("p", "who", c.author));
      li.appendChild(el("p", "text", c.text));
      const a = el("a", "review", "Review case");
      a.href = c.url;
      li.appendChild(a);
      cards.appendChild(li);
    }
    // Other members' inboxes with messages: one click switches to that member.
    const others = $("other-inboxes");
    others.replaceChildren();
    for (const u of state.users) {
      const n = (state.inbox[u.id] || []).length;
      if (u.id === user.id || n === 0) continue;
      const b = el("button", "inbox-link", u.name + " (" + n + ")");
      b.type = "button";
      b.addEventListener("click", () => { $("user").value = u.id; renderSide(); });
      others.appendChild(b);
    }
    $("other-inboxes-section").hidden = others.childElementCount === 0;
  }

  function renderUsers() {
    const select = $("user");
    const chosen = select.value;
    select.replaceChildren();
    for (const u of state.users) {
      let label = u.name + (u.is_admin ? " ★" : "") + (u.accepts_private ? "" : " (DMs closed)");
      if (u.banned) label += " (banned)";
      const opt = el("option", null, label);
      opt.value = u.id;
      opt.disabled = !!u.banned;
      select.appendChild(opt);
    }
    if (state.users.some((u) => u.id === chosen && !u.banned)) select.value = chosen;
  }

  function upsert(m) {
    const list = state.messages[m.room] || (state.messages[m.room] = []);
    const i = list.findIndex((x) => x.id === m.id);
    if (i >= 0) list[i] = m; else { list.push(m); list.sort((a, b) => a.at - b.at); }
    if (m.room !== state.room && m.state !== "hidden") state.unread[m.room] = (state.unread[m.room] || 0) + 1;
  }

  function apply(ev) {
    switch (ev.type) {
      case "snapshot":
        state.rooms = ev.rooms; state.users = ev.users; state.messages = ev.messages;
        state.inbox = ev.inbox; state.cards = {};
        for (const c of ev.cards) state.cards[c.case_id] = c;
        if (!state.room) state.room = ev.rooms[0].id;
        renderUsers(); renderRoom(); renderSide();
        return;
      case "message": upsert(ev.message); break;
      case "restored": upsert(ev.message); break;
      case "hidden": {
        const m = (state.messages[ev.room] || []).find((x) => x.id === ev.id);
        if (m) m.state = "hidden";
        break;
      }
      case "private": {
        const items = state.inbox[ev.item.user_id] || (state.inbox[ev.item.user_id] = []);
        items.push(ev.item);
        break;
      }
      case "card": state.cards[ev.card.case_id] = ev.card; break;
      case "user":
        if (!state.users.some((u) => u.id === ev.user.id)) state.users.push(ev.user);
        renderUsers();
        break;
      case "sanction": {
        const u = state.users.find((x) => x.id === ev.user_id);
        if (u && ev.kind === "ban") { u.banned = true; renderUsers(); }
        if (u && ev.kind === "timeout") u.timeout_until = ev.until;
        break;
      }
      default: return;
    }
    renderRoom(); renderSide();
  }

  function connect() {
    const source = new EventSource(base + "/events");
    source.onopen = () => { $("conn").textContent = "live"; $("conn").className = "status live"; };
    source.onmessage = (e) => apply(JSON.parse(e.data));
    source.onerror = () => { $("conn").textContent = "reconnecting…"; $("conn").className = "status"; };
  }

  async function api(path, body) {
    const r = await fetch(base + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    let data = {};
    try { data = await r.json(); } catch (_e) { data = { error: r.status + " " + r.statusText }; }
    if (!r.ok) throw new Error(data.error || r.statusText);
    return data;
  }

  function showError(msg) {
    const p = $("composer-error");
    p.textContent = msg || "";
    p.hidden = !msg;
  }

  async function send(ev) {
    ev.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("send").disabled = true;
    try {
      await api("/api/post", { room: state.room, user: $("user").value, text: text });
      $("text").value = "";
      showError("");
    } catch (e) {
      showError(e.message);
    } finally {
      $("send").disabled = false;
      $("text").focus();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("composer").addEventListener("submit", send);
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
    });
    $("user").addEventListener("change", renderSide);
    for (const b of document.querySelectorAll("button.room")) {
      b.addEventListener("click", () => { state.room = b.dataset.room; state.unread[state.room] = 0; renderRoom(); });
    }
    $("samples").addEventListener("click", async () => {
      try { await api("/api/samples", {}); showError(""); } catch (e) { showError(e.message); }
    });
    connect();
  });
})();
