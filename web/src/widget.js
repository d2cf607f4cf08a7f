/* Waypoint chat widget. Plain JavaScript, no framework.
 *
 * web/build.py wraps this file in one script with socket.io-client (WAYPOINT_IO) and the
 * emergency strip table generated from data/safety/crisis_replies.yml (WAYPOINT_REGIONS), so no
 * emergency number is written here. Embedding and configuration: web/README.md.
 *
 * Rules this file keeps:
 * - Message text is rendered with text nodes only, never parsed as HTML; links are made from
 *   http(s) URLs and bare domains in the assistant's text, and only http(s) is ever linked.
 * - The emergency strip is outside the conversation and always shown, whatever the connection.
 * - Nothing is written to the browser's storage until the person sends a message (or picks a
 *   region); Quick exit (the button, or Esc three times) removes it all and leaves the page.
 */
(function (io, REGIONS) {
  "use strict";

  var DEFAULTS = {
    region: "US",
    title: "Waypoint",
    exitUrl: "https://www.google.com",
    socketPath: "/socket.io",
    storage: "local",
    open: false
  };
  var STORE_KEY = "waypoint-widget"; // {v, session, open, messages}
  var REGION_KEY = "waypoint-widget-region";
  var STORE_VERSION = 1;
  var MAX_STORED_MESSAGES = 200;
  var MAX_MESSAGE_CHARS = 4000; // a typed message's length here (the server reads far longer ones)
  var REPLY_TIMEOUT_MS = 25000; // typing indicator, then a notice
  var DELETE_STEP_TIMEOUT_MS = 20000;
  var DELETE_SETTLE_MS = 5000; // after an unrelated reply, how long to wait for the expected one
  var ESC_PRESSES = 3;
  var ESC_WINDOW_MS = 2000;
  var OFFLINE_AFTER_FAILURES = 2;
  // The assistant's own erasure (storage/erasure.py, domain/privacy.yml): it asks, with a button
  // whose payload is /affirm, and confirms with utter_conversation_deleted.
  var DELETE_REQUEST = "/delete_conversation";
  var AFFIRM = "/affirm";
  var DELETED_REPLY = /\bconversation is deleted\b/i;
  var SESSION_ID = /^[0-9a-f]{32}$/;
  // http(s) URLs, and bare domains under common public suffixes (findtreatment.gov).
  var LINK = /\bhttps?:\/\/[^\s<>"'`]+|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:gov|org|com|net|edu|info|uk|ie|ca|au|eu|nz|us)\b(?:\/[^\s<>"'`]*)?/gi;
  var LINK_TRAILING = /[.,;:!?'")\]]+$/;
  var STATUS_TEXT = {
    connecting: "Connecting…",
    connected: "Connected",
    reconnecting: "Reconnecting…",
    offline: "Offline"
  };

  // --- small helpers ----------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function hook(node, name) {
    node.setAttribute("data-waypoint", name);
    return node;
  }

  function has(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key);
  }

  function randomHex(bytes) {
    var values = new Uint8Array(bytes);
    window.crypto.getRandomValues(values);
    var hex = "";
    for (var i = 0; i < values.length; i++) hex += (values[i] < 16 ? "0" : "") + values[i].toString(16);
    return hex;
  }

  function newSessionId() {
    return randomHex(16);
  }

  function httpUrl(value, base) {
    try {
      var url = new URL(String(value), base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function regionCode(value) {
    if (typeof value !== "string") return null;
    var code = value.trim().toUpperCase();
    if (code === "GB") code = "UK";
    return has(REGIONS, code) ? code : null;
  }

  function warn(message) {
    if (window.console && console.warn) console.warn("Waypoint widget: " + message);
  }

  // --- configuration ----------------------------------------------------------------------------

  function readConfig(raw) {
    raw = raw && typeof raw === "object" ? raw : {};
    var config = {};
    var server = typeof raw.server === "string" ? raw.server.trim() : "";
    // An unreplaced placeholder means the page was served without its server.
    config.server = server.indexOf("%") === -1 ? httpUrl(server, location.href) : null;
    if (!config.server) warn("WaypointConfig.server must be the chat server's http(s) URL.");
    config.region = regionCode(raw.region == null ? DEFAULTS.region : raw.region);
    if (!config.region) {
      warn("unknown region " + JSON.stringify(raw.region) + "; showing the local emergency number.");
      config.region = has(REGIONS, "OTHER") ? "OTHER" : DEFAULTS.region;
    }
    config.title = typeof raw.title === "string" && raw.title.trim() ? raw.title.trim() : DEFAULTS.title;
    config.exitUrl = httpUrl(raw.exitUrl == null ? DEFAULTS.exitUrl : raw.exitUrl, location.href);
    if (!config.exitUrl) {
      warn("WaypointConfig.exitUrl must be an http(s) URL; using " + DEFAULTS.exitUrl + ".");
      config.exitUrl = DEFAULTS.exitUrl;
    }
    config.socketPath = typeof raw.socketPath === "string" && raw.socketPath ? raw.socketPath : DEFAULTS.socketPath;
    config.storage = raw.storage === "session" ? "session" : "local";
    config.open = raw.open == null ? DEFAULTS.open : !!raw.open;
    return config;
  }

  // --- browser storage --------------------------------------------------------------------------

  function memoryStorage() {
    var items = {};
    return {
      getItem: function (key) { return has(items, key) ? items[key] : null; },
      setItem: function (key, value) { items[key] = String(value); },
      removeItem: function (key) { delete items[key]; }
    };
  }

  function webStorage(name) {
    try {
      var storage = window[name];
      var probe = STORE_KEY + "-probe";
      storage.setItem(probe, "1");
      storage.removeItem(probe);
      return storage;
    } catch (error) {
      return null; // blocked (privacy settings) or full
    }
  }

  function sanitizeChoices(list) {
    var choices = [];
    if (!Array.isArray(list)) return choices;
    list.forEach(function (item) {
      if (!item || typeof item !== "object") return;
      var payload = typeof item.payload === "string" ? item.payload : "";
      var title = typeof item.title === "string" && item.title.trim() ? item.title : payload;
      if (payload) choices.push({ title: title, payload: payload });
    });
    return choices;
  }

  function sanitizeMessages(list) {
    var messages = [];
    if (!Array.isArray(list)) return messages;
    list.forEach(function (item) {
      if (!item || typeof item !== "object" || typeof item.text !== "string") return;
      if (item.from !== "user" && item.from !== "bot") return;
      var message = { id: typeof item.id === "string" ? item.id : randomHex(8), from: item.from, text: item.text };
      if (item.from === "user") {
        if (typeof item.payload === "string") message.payload = item.payload;
        if (item.pending === true) message.pending = true;
      } else {
        var choices = sanitizeChoices(item.choices);
        if (choices.length) message.choices = choices;
      }
      messages.push(message);
    });
    return messages;
  }

  // --- the widget -------------------------------------------------------------------------------

  function Widget(config) {
    var self = this;
    this.config = config;
    this.store = webStorage(config.storage === "session" ? "sessionStorage" : "localStorage") || memoryStorage();
    this.socket = null;
    this.connection = "offline";
    this.failures = 0;
    this.confirmed = false;
    this.sessionId = null;
    this.messages = [];
    this.ownPending = {}; // ids of queued messages this tab sends
    this.turn = null; // the user message the assistant is answering; bot message ids follow it
    this.turnReplies = 0;
    this.firstReplyOfTurn = null;
    this.replyTimer = null;
    this.deletion = null;
    this.escPresses = [];
    this.exiting = false;

    var saved = this.load();
    if (saved) {
      this.sessionId = saved.session;
      this.messages = saved.messages;
      this.messages.forEach(function (m) { if (m.pending) self.ownPending[m.id] = true; });
    }
    this.region = regionCode(this.read(REGION_KEY)) || config.region;
    this.open = saved && typeof saved.open === "boolean" ? saved.open : config.open;
    this.build();
    this.setConnection("offline"); // until it connects: when opened, or to continue a conversation
    this.renderStrip();
    this.renderAll();
    this.setOpen(this.open, false);
    if (!config.server) {
      this.setConnection("offline");
      this.notice("The chat is not available right now.", "unavailable");
    } else if (this.open || this.messages.length) {
      this.connect();
    }
    this.listen();
  }

  Widget.prototype.read = function (key) {
    try { return this.store.getItem(key); } catch (error) { return null; }
  };

  Widget.prototype.write = function (key, value) {
    try {
      this.store.setItem(key, value);
    } catch (error) {
      warn("could not keep the conversation in this browser (" + error.name + ").");
    }
  };

  Widget.prototype.load = function () {
    var raw = this.read(STORE_KEY);
    if (!raw) return null;
    try {
      var record = JSON.parse(raw);
      if (!record || record.v !== STORE_VERSION || !SESSION_ID.test(record.session)) return null;
      return { session: record.session, open: record.open, messages: sanitizeMessages(record.messages) };
    } catch (error) {
      return null;
    }
  };

  Widget.prototype.save = function () {
    if (!this.messages.length || !this.sessionId) return;
    var messages = this.messages.slice(-MAX_STORED_MESSAGES);
    this.write(STORE_KEY, JSON.stringify({ v: STORE_VERSION, session: this.sessionId, open: this.open, messages: messages }));
  };

  // --- DOM ------------------------------------------------------------------------------------

  Widget.prototype.build = function () {
    var self = this;
    var uid = randomHex(4);
    var root = hook(el("aside", "wp-root"), "widget");
    root.setAttribute("aria-label", this.config.title + " chat");
    root.setAttribute("lang", "en");

    var header = el("div", "wp-header");
    var brand = el("div", "wp-brand");
    brand.appendChild(el("p", "wp-title", this.config.title));
    var status = hook(el("p", "wp-status"), "status");
    status.setAttribute("role", "status");
    status.appendChild(el("span", "wp-status-dot")).setAttribute("aria-hidden", "true");
    this.statusText = status.appendChild(el("span", "wp-status-text"));
    brand.appendChild(status);
    header.appendChild(brand);

    var toggle = hook(el("button", "wp-button wp-toggle"), "toggle");
    toggle.type = "button";
    toggle.setAttribute("aria-controls", "wp-body-" + uid);
    header.appendChild(toggle);

    var exit = hook(el("button", "wp-button wp-exit", "Quick exit"), "exit");
    exit.type = "button";
    exit.title = "Leave this page now and clear this chat from the browser (or press Esc 3 times)";
    header.appendChild(exit);
    root.appendChild(header);

    var help = el("div", "wp-help");
    var strip = hook(el("p", "wp-emergency"), "emergency");
    strip.id = "wp-emergency-" + uid;
    help.appendChild(strip);
    var regionRow = el("div", "wp-region");
    var label = el("label", "wp-region-label", "Region");
    label.htmlFor = "wp-region-" + uid;
    var select = hook(el("select", "wp-select"), "region");
    select.id = label.htmlFor;
    select.setAttribute("aria-describedby", strip.id);
    Object.keys(REGIONS).forEach(function (code) {
      var option = el("option", null, REGIONS[code].name);
      option.value = code;
      select.appendChild(option);
    });
    regionRow.appendChild(label);
    regionRow.appendChild(select);
    help.appendChild(regionRow);
    root.appendChild(help);

    var body = el("div", "wp-body");
    body.id = "wp-body-" + uid;
    var log = hook(el("div", "wp-log"), "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");
    log.tabIndex = 0;
    body.appendChild(log);

    var typing = hook(el("div", "wp-typing"), "typing");
    typing.hidden = true;
    typing.appendChild(el("span", "wp-dots")).setAttribute("aria-hidden", "true");
    typing.appendChild(el("span", "wp-typing-text", this.config.title + " is typing…"));
    body.appendChild(typing);

    var form = el("form", "wp-composer");
    form.noValidate = true;
    var inputLabel = el("label", "wp-sr", "Your message");
    inputLabel.htmlFor = "wp-input-" + uid;
    var input = hook(el("textarea", "wp-input"), "input");
    input.id = inputLabel.htmlFor;
    input.rows = 1;
    input.maxLength = MAX_MESSAGE_CHARS;
    input.placeholder = "Type your question";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("enterkeyhint", "send");
    input.setAttribute("aria-describedby", "wp-note-" + uid);
    var send = hook(el("button", "wp-button wp-send", "Send"), "send");
    send.type = "submit";
    form.appendChild(inputLabel);
    form.appendChild(input);
    form.appendChild(send);
    body.appendChild(form);

    var footer = el("div", "wp-footer");
    var note = el("p", "wp-note", "An automated tool, not a person. It can't send help.");
    note.id = "wp-note-" + uid;
    var remove = hook(el("button", "wp-link", "Delete my conversation"), "delete");
    remove.type = "button";
    footer.appendChild(note);
    footer.appendChild(remove);
    body.appendChild(footer);

    var confirmBox = el("div", "wp-confirm");
    confirmBox.hidden = true;
    confirmBox.setAttribute("role", "group");
    confirmBox.setAttribute("aria-labelledby", "wp-confirm-text-" + uid);
    var confirmText = el("p", "wp-confirm-text");
    confirmText.id = "wp-confirm-text-" + uid;
    confirmText.setAttribute("aria-live", "polite");
    var confirmButtons = el("div", "wp-confirm-buttons");
    var confirmYes = hook(el("button", "wp-button wp-danger", "Delete"), "delete-confirm");
    confirmYes.type = "button";
    var confirmNo = hook(el("button", "wp-button wp-secondary", "Cancel"), "delete-cancel");
    confirmNo.type = "button";
    confirmButtons.appendChild(confirmYes);
    confirmButtons.appendChild(confirmNo);
    confirmBox.appendChild(confirmText);
    confirmBox.appendChild(confirmButtons);
    body.appendChild(confirmBox);
    root.appendChild(body);

    this.root = root;
    this.status = status;
    this.toggle = toggle;
    this.exit = exit;
    this.strip = strip;
    this.select = select;
    this.body = body;
    this.log = log;
    this.typing = typing;
    this.form = form;
    this.input = input;
    this.sendButton = send;
    this.remove = remove;
    this.footer = footer;
    this.confirmBox = confirmBox;
    this.confirmText = confirmText;
    this.confirmYes = confirmYes;
    this.confirmNo = confirmNo;

    toggle.addEventListener("click", function () { self.setOpen(!self.open, true); });
    exit.addEventListener("click", function () { self.quickExit(); });
    select.addEventListener("change", function () { self.setRegion(select.value, true); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        self.submit();
      }
    });
    input.addEventListener("input", function () { self.fitInput(); });
    remove.addEventListener("click", function () { self.askToDelete(); });
    confirmYes.addEventListener("click", function () { self.deleteConversation(); });
    confirmNo.addEventListener("click", function () { self.closeConfirm(true); });
  };

  Widget.prototype.listen = function () {
    var self = this;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" && event.key !== "Esc") return;
      var now = Date.now();
      self.escPresses = self.escPresses.filter(function (t) { return now - t < ESC_WINDOW_MS; });
      self.escPresses.push(now);
      if (self.escPresses.length >= ESC_PRESSES) {
        self.quickExit();
      } else if (!self.confirmBox.hidden && !self.deletion && self.root.contains(document.activeElement)) {
        self.closeConfirm(true);
      }
    }, true);
    window.addEventListener("storage", function (event) { self.onStorage(event); });
    // The browser knows first: while it says offline nothing is sent (it would be lost).
    window.addEventListener("offline", function () {
      if (!self.socket) return;
      self.confirmed = false;
      self.hideTyping();
      self.setConnection("offline");
    });
    window.addEventListener("online", function () {
      if (!self.socket) return;
      if (self.socket.connected) self.requestSession(); // confirmed again, then the queue is sent
      else self.socket.connect();
    });
  };

  Widget.prototype.fitInput = function () {
    var input = this.input;
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 160) + "px";
  };

  Widget.prototype.setOpen = function (open, moveFocus) {
    this.open = !!open;
    this.root.setAttribute("data-open", this.open ? "true" : "false");
    this.body.hidden = !this.open;
    this.toggle.setAttribute("aria-expanded", this.open ? "true" : "false");
    this.toggle.textContent = this.open ? "Minimize" : "Open chat";
    this.save();
    if (this.open) {
      if (this.config.server) this.connect();
      this.scrollToEnd();
      if (moveFocus) this.input.focus();
    } else if (moveFocus) {
      this.toggle.focus();
    }
  };

  // --- emergency strip and region ---------------------------------------------------------------

  function appendParts(parent, parts) {
    parts.forEach(function (part) {
      if (part[1]) {
        var link = el("a", "wp-tel", part[0]);
        link.href = part[1];
        parent.appendChild(link);
      } else {
        parent.appendChild(document.createTextNode(part[0]));
      }
    });
  }

  Widget.prototype.renderStrip = function () {
    var parts = REGIONS[this.region].strip;
    this.strip.textContent = "";
    this.strip.appendChild(el("strong", "wp-emergency-lead", parts[0][0]));
    appendParts(this.strip, parts.slice(1));
    this.select.value = this.region;
  };

  Widget.prototype.setRegion = function (code, remember) {
    code = regionCode(code);
    if (!code) return;
    this.region = code;
    if (remember) { this.write(REGION_KEY, code); this.regionChosen = true; }
    this.renderStrip();
  };

  // "If someone is in danger, <the region's call_lc> now." with the number linked, for notices.
  Widget.prototype.emergencyLine = function (parent) {
    parent.appendChild(document.createTextNode(" If someone is in danger, "));
    appendParts(parent, REGIONS[this.region].call);
    parent.appendChild(document.createTextNode(" now."));
  };

  // --- transcript -------------------------------------------------------------------------------

  // Bot text with http(s) URLs and bare domains as links; everything else as text nodes.
  function appendLinkified(parent, text) {
    var position = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      var found = match[0].replace(LINK_TRAILING, "");
      var start = match.index;
      var before = start > 0 ? text.charAt(start - 1) : "";
      var href = null;
      if (found && !/[@\/.\w-]/.test(before)) {
        href = httpUrl(/^https?:\/\//i.test(found) ? found : "https://" + found);
      }
      if (href) {
        if (start > position) parent.appendChild(document.createTextNode(text.slice(position, start)));
        var link = el("a", "wp-link-out", found);
        link.href = href;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.appendChild(link);
        position = start + found.length;
      }
      LINK.lastIndex = start + Math.max(found.length, 1);
    }
    if (position < text.length) parent.appendChild(document.createTextNode(text.slice(position)));
  }

  Widget.prototype.lastUserIndex = function () {
    for (var i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].from === "user") return i;
    return -1;
  };

  Widget.prototype.row = function (message, withChoices) {
    var self = this;
    var row = el("div", "wp-row wp-row--" + message.from);
    row.setAttribute("data-id", message.id);
    row.appendChild(el("span", "wp-sr", message.from === "bot" ? this.config.title + " said:" : "You said:"));
    var bubble = hook(el("div", "wp-msg wp-msg--" + message.from), "message");
    bubble.setAttribute("data-from", message.from);
    if (message.from === "bot") appendLinkified(bubble, message.text);
    else bubble.textContent = message.text;
    row.appendChild(bubble);
    if (message.pending) row.appendChild(el("span", "wp-pending", "Not sent yet"));
    if (withChoices && message.choices && message.choices.length) {
      var group = el("div", "wp-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Suggested replies");
      message.choices.forEach(function (choice) {
        var button = hook(el("button", "wp-choice", choice.title), "choice");
        button.type = "button";
        button.addEventListener("click", function () {
          if (self.deletion) return;
          self.removeChoices();
          self.sendUser(choice.title, choice.payload);
          self.input.focus();
        });
        group.appendChild(button);
      });
      row.appendChild(group);
    }
    return row;
  };

  Widget.prototype.removeChoices = function () {
    var groups = this.log.querySelectorAll(".wp-choices");
    for (var i = 0; i < groups.length; i++) groups[i].parentNode.removeChild(groups[i]);
  };

  Widget.prototype.renderAll = function () {
    var self = this;
    var lastUser = this.lastUserIndex();
    this.log.textContent = "";
    if (!this.messages.length) {
      var intro = el("div", "wp-intro");
      intro.appendChild(el("p", "wp-intro-title", "Questions about opioid use disorder treatment?"));
      intro.appendChild(el("p", null, "Ask about medications, withdrawal, support for someone you care about, or finding help near you. " +
        "You don't need to give your name."));
      this.log.appendChild(intro);
    }
    this.messages.forEach(function (message, index) {
      self.log.appendChild(self.row(message, message.from === "bot" && index > lastUser));
    });
    this.scrollToEnd();
  };

  Widget.prototype.append = function (message) {
    var intro = this.log.querySelector(".wp-intro");
    if (intro) intro.parentNode.removeChild(intro);
    var row = this.row(message, message.from === "bot");
    this.log.appendChild(row);
    if (message.from === "bot" && !this.firstReplyOfTurn) this.firstReplyOfTurn = row;
    this.scrollToEnd();
  };

  // To the end, but never past the first line of this turn's first reply: an emergency reply
  // starts with what to do, and that line must be what is seen.
  Widget.prototype.scrollToEnd = function () {
    var log = this.log;
    var target = log.scrollHeight - log.clientHeight;
    var first = this.firstReplyOfTurn;
    if (first && first.parentNode === log) target = Math.min(target, first.offsetTop - log.offsetTop - 8);
    log.scrollTop = Math.max(0, target);
  };

  // A line from the widget itself (not the assistant): shown, never stored.
  Widget.prototype.notice = function (text, kind, withEmergency) {
    var old = this.log.querySelector('.wp-notice[data-kind="' + kind + '"]');
    if (old) old.parentNode.removeChild(old);
    var notice = hook(el("p", "wp-notice"), "notice");
    notice.setAttribute("data-kind", kind);
    notice.appendChild(document.createTextNode(text));
    if (withEmergency) this.emergencyLine(notice);
    this.log.appendChild(notice);
    this.scrollToEnd();
  };

  Widget.prototype.clearNotices = function (kind) {
    var notices = this.log.querySelectorAll(kind ? '.wp-notice[data-kind="' + kind + '"]' : ".wp-notice");
    for (var i = 0; i < notices.length; i++) notices[i].parentNode.removeChild(notices[i]);
  };

  // --- connection -------------------------------------------------------------------------------

  Widget.prototype.setConnection = function (state) {
    this.connection = state;
    this.status.setAttribute("data-state", state);
    this.statusText.textContent = STATUS_TEXT[state];
  };

  Widget.prototype.ready = function () {
    return !!(this.socket && this.socket.connected && this.confirmed && navigator.onLine !== false);
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (this.socket || !this.config.server || this.exiting) return;
    this.setConnection("connecting");
    var socket = io(this.config.server, {
      path: this.config.socketPath,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 8000,
      timeout: 10000
    });
    this.socket = socket;
    var everConnected = false;
    socket.on("connect", function () {
      everConnected = true;
      self.confirmed = false;
      self.requestSession();
    });
    socket.on("session_confirm", function (id) { self.onSessionConfirm(id); });
    socket.on("bot_uttered", function (data) { self.onBotMessage(data); });
    socket.on("disconnect", function (reason) {
      var waiting = !self.typing.hidden;
      self.confirmed = false;
      self.hideTyping();
      self.setConnection(navigator.onLine === false ? "offline" : "reconnecting");
      if (self.deletion) {
        self.deletionFailed("The connection dropped before the deletion was confirmed.");
      } else if (waiting) { // the answer may be lost with the connection
        self.notice("The connection dropped while waiting for an answer. If none arrives when it is back, " +
          "send your message again.", "timeout", true);
      }
      if (reason === "io server disconnect") socket.connect(); // the server closed it: try again
    });
    socket.on("connect_error", function () {
      self.failures += 1;
      var down = !everConnected || self.failures >= OFFLINE_AFTER_FAILURES || navigator.onLine === false;
      self.setConnection(down ? "offline" : "reconnecting");
    });
  };

  Widget.prototype.requestSession = function () {
    if (!this.sessionId) this.sessionId = newSessionId();
    this.socket.emit("session_request", { session_id: this.sessionId });
  };

  Widget.prototype.onSessionConfirm = function (id) {
    if (typeof id !== "string" || !id) return;
    if (id !== this.sessionId) {
      this.sessionId = id; // the server issues a new id when it cannot accept ours
      this.save();
    }
    this.confirmed = true;
    this.failures = 0;
    this.setConnection("connected");
    this.clearNotices("offline");
    this.clearNotices("unsent");
    this.flush();
  };

  // --- sending and receiving --------------------------------------------------------------------

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    if (!text || this.deletion) return;
    this.input.value = "";
    this.fitInput();
    this.removeChoices();
    this.sendUser(text, null);
  };

  // Shows `text` as the person's message and sends `payload` (a button's) or the text itself.
  Widget.prototype.sendUser = function (text, payload) {
    text = String(text).slice(0, MAX_MESSAGE_CHARS);
    if (!this.sessionId) this.sessionId = newSessionId();
    var message = { id: randomHex(8), from: "user", text: text, pending: true };
    if (payload && payload !== text) message.payload = payload;
    this.messages.push(message);
    this.ownPending[message.id] = true;
    this.firstReplyOfTurn = null;
    this.save();
    this.append(message);
    if (this.ready()) {
      this.flush();
    } else {
      this.connect();
      this.notice(this.config.server
        ? "Not sent yet: the chat is " + (this.connection === "connecting" ? "still connecting" : "offline") +
          ". Your message will be sent when the connection is back."
        : "Your message could not be sent: the chat is not available right now.", "unsent", true);
    }
  };

  Widget.prototype.flush = function () {
    var self = this;
    if (!this.ready()) return;
    this.messages.forEach(function (message) {
      if (!message.pending || !self.ownPending[message.id]) return;
      self.emit(message.payload || message.text);
      delete message.pending;
      delete self.ownPending[message.id];
      var badge = self.log.querySelector('.wp-row[data-id="' + message.id + '"] .wp-pending');
      if (badge) badge.parentNode.removeChild(badge);
      self.turn = message.id;
      self.turnReplies = 0;
    });
    this.save();
  };

  Widget.prototype.emit = function (text) {
    // The region goes with every message; the server lets it set the conversation's region only
    // until the conversation has one, unless the visitor picked it ("chosen"), so a place the
    // person names ("I'm in Manchester") is not undone by the page's default.
    var metadata = { region: this.region };
    if (this.regionChosen) { metadata.region_chosen = true; this.regionChosen = false; }
    this.socket.emit("user_uttered", { message: text, session_id: this.sessionId, metadata: metadata });
    this.showTyping();
  };

  Widget.prototype.showTyping = function () {
    var self = this;
    this.typing.hidden = false;
    clearTimeout(this.replyTimer);
    this.replyTimer = setTimeout(function () {
      self.typing.hidden = true;
      if (!self.deletion) {
        self.notice("No answer yet. The connection may be slow, or your message did not arrive; you can send it again.", "timeout", true);
      }
    }, REPLY_TIMEOUT_MS);
  };

  Widget.prototype.hideTyping = function () {
    clearTimeout(this.replyTimer);
    this.typing.hidden = true;
  };

  Widget.prototype.onBotMessage = function (data) {
    if (!data || typeof data !== "object") return;
    var text = typeof data.text === "string" ? data.text : "";
    var choices = sanitizeChoices(data.quick_replies || data.buttons);
    if (!text && !choices.length) return; // images and custom payloads are not shown
    this.hideTyping();
    this.clearNotices("timeout");
    // While deleting, the erasure's question and confirmation are handled, not shown; any other
    // reply (an answer, a crisis reply to the last message) is shown as usual.
    if (this.deletion && this.deletionReply(text, choices)) return;
    if (DELETED_REPLY.test(text)) { // the person asked for it in the chat and said yes
      this.forget();
      this.notice("This conversation was deleted from Waypoint's server and from this browser.", "deleted", true);
      return;
    }
    var lastUser = this.lastUserIndex();
    var turn = lastUser >= 0 ? this.messages[lastUser].id : "start";
    if (turn !== this.turn) {
      this.turn = turn;
      this.turnReplies = 0;
    }
    // Another tab showing this conversation may have stored this very reply already; a reply
    // that only shares its place in the turn is kept, under an id of its own.
    var id = turn + ":" + this.turnReplies++;
    for (var i = 0; i < this.messages.length; i++) {
      if (this.messages[i].id !== id) continue;
      if (this.messages[i].text === text) return;
      id += ":" + randomHex(4);
      break;
    }
    var message = { id: id, from: "bot", text: text };
    if (choices.length) message.choices = choices;
    this.messages.push(message);
    this.save();
    this.append(message);
  };

  // Another tab changed the stored conversation: show the same.
  Widget.prototype.onStorage = function (event) {
    if (this.exiting || (event.key !== STORE_KEY && event.key !== REGION_KEY && event.key !== null)) return;
    try {
      if (event.storageArea !== this.store) return;
    } catch (error) {
      return;
    }
    if (event.key === REGION_KEY) {
      this.setRegion(event.newValue, false);
      return;
    }
    var saved = this.load();
    if (!saved) {
      if (this.messages.length) this.forget();
      return;
    }
    var changedSession = saved.session !== this.sessionId;
    this.sessionId = saved.session;
    this.messages = saved.messages;
    this.renderAll();
    if (changedSession && this.ready()) this.requestSession();
  };

  // --- deleting ---------------------------------------------------------------------------------

  Widget.prototype.askToDelete = function () {
    this.confirmText.textContent = "Delete this conversation from Waypoint's server and from this browser? This can't be undone.";
    this.confirmYes.textContent = "Delete";
    this.confirmYes.disabled = false;
    this.confirmNo.disabled = false;
    this.confirmBox.hidden = false;
    this.footer.hidden = true;
    this.confirmNo.focus();
  };

  Widget.prototype.closeConfirm = function (moveFocus) {
    this.confirmBox.hidden = true;
    this.footer.hidden = false;
    if (moveFocus) this.remove.focus();
  };

  Widget.prototype.deleteConversation = function () {
    if (this.deletion) return;
    var sent = this.messages.some(function (m) { return m.from === "bot" || (m.from === "user" && !m.pending); });
    if (!sent) { // nothing reached the server
      this.forget();
      this.finishDeletion("This conversation was deleted from this browser.");
      return;
    }
    if (!this.ready()) {
      this.deletionFailed("The chat is offline, so nothing was deleted. Try again when it says Connected.");
      return;
    }
    this.deletion = { step: "ask", timer: null };
    this.confirmText.textContent = "Deleting…";
    this.confirmYes.disabled = true;
    this.confirmNo.disabled = true;
    this.form.setAttribute("aria-disabled", "true");
    this.deletionTimeout(DELETE_STEP_TIMEOUT_MS);
    this.emit(DELETE_REQUEST);
    this.typing.hidden = true;
  };

  Widget.prototype.deletionTimeout = function (ms) {
    var self = this;
    clearTimeout(this.deletion.timer);
    this.deletion.timer = setTimeout(function () {
      self.deletionFailed("Waypoint's server did not confirm the deletion, so the conversation may still be stored there.");
    }, ms);
  };

  // True when the reply was one of the erasure's own (its question or its confirmation).
  Widget.prototype.deletionReply = function (text, choices) {
    var deletion = this.deletion;
    if (deletion.step === "ask" && choices.some(function (c) { return c.payload === AFFIRM; })) {
      deletion.step = "affirm";
      this.deletionTimeout(DELETE_STEP_TIMEOUT_MS);
      this.emit(AFFIRM);
      this.typing.hidden = true;
      return true;
    }
    if (deletion.step === "affirm" && DELETED_REPLY.test(text)) {
      clearTimeout(deletion.timer);
      this.deletion = null;
      this.forget();
      this.finishDeletion("Your conversation was deleted from Waypoint's server and from this browser.");
      return true;
    }
    this.deletionTimeout(DELETE_SETTLE_MS); // a reply, but not the one expected: wait a little
    return false;
  };

  Widget.prototype.deletionFailed = function (reason) {
    if (this.deletion) clearTimeout(this.deletion.timer);
    this.deletion = null;
    this.hideTyping();
    this.form.removeAttribute("aria-disabled");
    this.confirmBox.hidden = false;
    this.footer.hidden = true;
    this.confirmText.textContent = reason + " Nothing was removed. You can try again in a moment; " +
      "Quick exit clears this browser's copy.";
    this.confirmYes.textContent = "Try again";
    this.confirmYes.disabled = false;
    this.confirmNo.disabled = false;
    this.confirmYes.focus();
  };

  Widget.prototype.finishDeletion = function (text) {
    this.form.removeAttribute("aria-disabled");
    this.closeConfirm(false);
    this.notice(text, "deleted", true); // the server's confirmation carried the emergency line
    this.input.focus();
  };

  // Drops the browser's copy and starts a new conversation with a new session id.
  Widget.prototype.forget = function () {
    try { this.store.removeItem(STORE_KEY); } catch (error) { /* nothing stored */ }
    this.messages = [];
    this.ownPending = {};
    this.turn = null;
    this.firstReplyOfTurn = null;
    this.hideTyping();
    this.sessionId = newSessionId();
    this.renderAll();
    if (this.ready()) this.requestSession();
  };

  // --- quick exit -------------------------------------------------------------------------------

  Widget.prototype.quickExit = function () {
    if (this.exiting) return;
    this.exiting = true;
    [this.store, webStorage("localStorage"), webStorage("sessionStorage")].forEach(function (storage) {
      if (!storage) return;
      try {
        storage.removeItem(STORE_KEY);
        storage.removeItem(REGION_KEY);
      } catch (error) { /* nothing to remove */ }
    });
    this.messages = [];
    this.log.textContent = "";
    this.input.value = "";
    this.root.hidden = true;
    try {
      if (this.socket) this.socket.disconnect();
    } catch (error) { /* leaving anyway */ }
    location.replace(this.config.exitUrl);
  };

  // --- start ------------------------------------------------------------------------------------

  var script = document.currentScript;

  function stylesheetUrl() {
    var src = script && script.src;
    if (!src) {
      var scripts = document.getElementsByTagName("script");
      for (var i = scripts.length - 1; i >= 0; i--) {
        if (/waypoint-widget(\.min)?\.js(\?|#|$)/.test(scripts[i].src)) { src = scripts[i].src; break; }
      }
    }
    return new URL("waypoint-widget.css", src || location.href).href;
  }

  function start() {
    var html = document.documentElement;
    if (html.hasAttribute("data-waypoint-widget")) return; // the script was included twice
    html.setAttribute("data-waypoint-widget", "loaded");
    var widget = new Widget(readConfig(window.WaypointConfig));
    var href = stylesheetUrl();
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) if (links[i].href === href) return show();
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    // Shown once styled, or unstyled if the stylesheet cannot load: the strip must be seen.
    var timer = setTimeout(show, 2000);
    link.onload = link.onerror = function () { clearTimeout(timer); show(); };
    document.head.appendChild(link);

    function show() {
      if (!widget.root.parentNode) {
        document.body.appendChild(widget.root);
        widget.scrollToEnd();
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})(WAYPOINT_IO, WAYPOINT_REGIONS);
