/* The preview page's behaviour: cards drawn only when scrolled near, search, filters, toggles,
   and (under `deckgen watch`) the page brought up to date after every build. Anki never
   receives this file. */
(function () {
  "use strict";
  performance.mark("pv-script");
  var doc = document, root = doc.documentElement, body = doc.body;
  var byId = function (id) { return doc.getElementById(id); };
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  // The page puts itself where it was (a reload by `deckgen watch`) or at its #card-N: the
  // browser's own restoring of the scroll offset, after the cards above have changed, would not.
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  var header = doc.querySelector(".pv-head");
  var night = byId("pv-night"), phone = byId("pv-phone"), changed = byId("pv-changed");
  var search = byId("pv-search"), count = byId("pv-count");

  function remember(key, value) {
    try { sessionStorage.setItem("deckgen-preview-" + key, value); } catch (e) { /* storage off */ }
  }
  function recall(key) {
    try { return sessionStorage.getItem("deckgen-preview-" + key); } catch (e) { return null; }
  }

  // The sticky header's height, so that a #card-N link lands below it (scroll-padding-top).
  function measureHeader() { root.style.setProperty("--pv-head", header.offsetHeight + "px"); }
  measureHeader();
  if (window.ResizeObserver) new ResizeObserver(measureHeader).observe(header);

  // -- The cards and their boxes ----------------------------------------------------------------
  // The cards come from the script beside the page (an external script is read and compiled off
  // the main thread; a 15 MB inline one would hold the page up): [front, back, deck, tags,
  // source, number, status, key] per card box, deck and tags indexing lists of HTML text, key
  // naming what the two sides show but the Source line.
  var data, cards, articles, sections, tocItems, total, texts = null, drawn = 0;
  var observer = new IntersectionObserver(function (entries) {
    for (var i = 0; i < entries.length; i++) if (entries[i].isIntersecting) draw(entries[i].target);
  }, { rootMargin: "1200px 0px" });
  function setup() {
    data = window.deckgenCards;
    cards = data.cards;
    articles = Array.prototype.slice.call(doc.getElementsByClassName("pv-card"));
    sections = Array.prototype.slice.call(doc.getElementsByClassName("pv-deck"));
    total = articles.length;
    findToc();
    articles.forEach(function (a) { observer.observe(a); });
  }
  function findToc() {
    tocItems = {};
    each(doc.querySelectorAll(".pv-toc li[data-deck]"), function (li) { tocItems[li.getAttribute("data-deck")] = li; });
  }

  // -- Cards: drawn into the page when they come near the screen --------------------------------
  var MATH = /\\[(\[]/;
  function cardClass() { return night.checked ? "card nightMode night_mode" : "card"; }
  function side(label, html) {
    return '<div class="pv-side"><div class="pv-label">' + label + '</div><div class="pv-view"><div class="' +
      cardClass() + '">' + html + "</div></div></div>";
  }
  function meta(card, of) {  // the line above a card: number, change, deck, tags, source line
    of = of || data;
    var line = '<a class="pv-num" href="#card-' + card[5] + '">#' + card[5] + "</a>";
    if (card[6]) line += '<span class="pv-badge pv-' + card[6] + '">' + card[6] + "</span>";
    line += '<span class="pv-deckname">' + of.decks[card[2]] + "</span>";
    of.tags[card[3]].forEach(function (tag) { line += '<span class="pv-tag">' + tag + "</span>"; });
    return line + '<span class="pv-src">' + card[4] + "</span>";
  }
  function draw(article) {
    if (article.classList.contains("pv-done")) return;
    var card = cards[+article.getAttribute("data-i")];
    article.innerHTML = '<p class="pv-meta">' + meta(card) + '</p><div class="pv-sides">' + side("front", card[0]) +
      side("back", card[1]) + "</div>";
    article.classList.add("pv-done");
    observer.unobserve(article);
    drawn += 1;
    if (drawn === 1) performance.mark("pv-first-card");
    body.setAttribute("data-drawn", drawn);
    if (MATH.test(card[1])) typeset(article.lastElementChild);
  }

  // MathJax (when the page has one) is loaded with the first card that has math, configured as
  // Anki's: \(...\) and \[...\] only.
  var waiting = [], mathReady = null, typesetting = Promise.resolve();
  function typeset(box) {
    var mathjax = body.getAttribute("data-math-script");
    if (!mathjax) return;
    waiting.push(box);
    if (!mathReady) {
      mathReady = new Promise(function (resolve) {
        window.MathJax = {
          tex: { inlineMath: [["\\(", "\\)"]], displayMath: [["\\[", "\\]"]], processEscapes: false,
                 processEnvironments: false, processRefs: false },
          options: { ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process" },
          startup: { typeset: false, ready: function () { window.MathJax.startup.defaultReady(); resolve(); } }
        };
        var script = doc.createElement("script");
        script.src = mathjax;
        script.async = true;
        doc.head.appendChild(script);
      });
    }
    mathReady.then(function () {
      var boxes = waiting.splice(0);
      if (!boxes.length) return;
      typesetting = typesetting.then(function () { return window.MathJax.typesetPromise(boxes); })
        .catch(function (e) { if (window.console) console.error(e); });
    });
  }

  // -- Night mode and the phone view: Anki's classes, on the card and on <html> ---------------
  function applyNight() {
    body.classList.toggle("pv-dark", night.checked);
    each(doc.querySelectorAll(".pv-view > .card"), function (card) {
      card.classList.toggle("nightMode", night.checked);
      card.classList.toggle("night_mode", night.checked);
    });
    remember("night", night.checked ? "1" : "");
  }
  function applyPhone() {
    root.classList.toggle("mobile", phone.checked);
    root.classList.toggle("android", phone.checked);
    body.classList.toggle("pv-phone", phone.checked);
    remember("phone", phone.checked ? "1" : "");
  }

  // -- Search and the changed-only filter -----------------------------------------------------
  var ENTITY = /&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|nbsp);/gi;
  var NAMED = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
  function entity(_, name) {
    if (name[0] !== "#") return NAMED[name.toLowerCase()];
    var code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    try { return String.fromCodePoint(code); } catch (e) { return " "; }
  }
  function textOf(article) {  // the back holds the front too
    var card = cards[+article.getAttribute("data-i")];
    var plain = (card[1] + " " + meta(card)).replace(/<[^>]*>/g, " ").replace(ENTITY, entity);
    return plain.normalize("NFC").toLowerCase();
  }
  function searchTexts() {  // made at the first search; an update keeps those of the boxes it keeps
    if (!texts) return (texts = articles.map(textOf));
    for (var i = 0; i < total; i++) if (texts[i] === undefined) texts[i] = textOf(articles[i]);
    return texts;
  }
  function filter() {
    var words = search.value.normalize("NFC").toLowerCase().split(/\s+/).filter(Boolean);
    var onlyChanged = changed.checked;
    var text = words.length ? searchTexts() : null;
    var shown = 0, perDeck = {};
    for (var i = 0; i < total; i++) {
      var a = articles[i], ok = !onlyChanged || a.hasAttribute("data-status");
      for (var w = 0; ok && w < words.length; w++) ok = text[i].indexOf(words[w]) >= 0;
      if (a.hidden === ok) a.hidden = !ok;
      if (ok) {
        shown += 1;
        var deck = a.parentNode.getAttribute("data-deck");
        perDeck[deck] = (perDeck[deck] || 0) + 1;
      }
    }
    sections.forEach(function (s) {
      var deck = s.getAttribute("data-deck"), n = perDeck[deck] || 0;
      s.hidden = n === 0;
      var item = tocItems[deck];
      if (item) {
        item.hidden = n === 0;
        item.querySelector("small").textContent = String(n);
      }
    });
    var filtered = words.length || onlyChanged;
    count.textContent = filtered ? shown + " of " + total + " cards" : total + " cards";
    byId("pv-empty").hidden = shown > 0 || total === 0;
    body.setAttribute("data-shown", shown);
    remember("search", search.value);
    remember("changed", onlyChanged ? "1" : "");
  }
  var pending = 0;
  search.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(filter, 120);
  });
  search.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { clearTimeout(pending); filter(); }
  });
  changed.addEventListener("change", filter);
  night.addEventListener("change", applyNight);
  phone.addEventListener("change", applyPhone);

  // -- The subdecks' table of contents (a panel on narrow windows) ----------------------------
  var tocButton = byId("pv-toc-button");
  tocButton.addEventListener("click", function () {
    var open = body.classList.toggle("pv-toc-open");
    tocButton.setAttribute("aria-expanded", open ? "true" : "false");
  });
  byId("pv-toc").addEventListener("click", function (e) {
    if (e.target.closest("a")) {
      body.classList.remove("pv-toc-open");
      tocButton.setAttribute("aria-expanded", "false");
    }
  });

  // -- Jumps: #card-N lands below the header, drawn, whatever the filters hide -----------------
  function land(target, top) {
    if (target.hidden || (target.parentNode && target.parentNode.hidden)) {
      search.value = "";
      changed.checked = false;
      filter();
    }
    if (target.classList.contains("pv-card")) draw(target);
    pin = { target: target, top: top == null ? header.offsetHeight + 8 : top, until: performance.now() + 2000 };
    hold();
  }
  // The cards drawn (and typeset) around a card landed on change the height above it: it is held
  // where it landed until they settle, or until the reader scrolls, types or clicks.
  var pin = null;
  function hold() {
    if (!pin) return;
    var off = pin.target.getBoundingClientRect().top - pin.top;
    if (Math.abs(off) >= 1) window.scrollBy(0, off);
    if (performance.now() < pin.until) requestAnimationFrame(hold); else pin = null;
  }
  ["wheel", "touchstart", "keydown", "mousedown"].forEach(function (name) {
    window.addEventListener(name, function () { pin = null; }, { passive: true, capture: true });
  });
  function landOnHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && byId(id);
    if (target) land(target);
  }
  window.addEventListener("hashchange", landOnHash);
  function place() {  // the first card box on screen, and where it is
    var head = header.offsetHeight;
    for (var i = 0; i < total; i++) {
      if (articles[i].hidden) continue;
      var box = articles[i].getBoundingClientRect();
      if (box.bottom > head) return { box: articles[i], id: articles[i].id, top: Math.round(box.top) };
    }
    return null;
  }
  function resume(where) {  // the same box if it is still there, else the one now in its place
    var at = where && (where.box && where.box.isConnected ? where.box : byId(where.id));
    if (!at || at.hidden) return false;
    land(at, where.top);
    return true;
  }
  function placeText(where) { return where ? where.id + " " + where.top : ""; }
  function placeFrom(text) {
    var parts = (text || "").split(" ");
    return parts[0] ? { box: null, id: parts[0], top: +parts[1] } : null;
  }

  // -- Start: the toggles as the address or the last visit left them ---------------------------
  if (!window.deckgenCards) {
    byId("pv-empty").textContent = "The cards' data (cards-….js beside index.html) did not load.";
    byId("pv-empty").hidden = false;
    return;
  }
  performance.mark("pv-data");
  setup();
  var hash = location.hash, query = new URLSearchParams(location.search);
  night.checked = /dark/.test(hash) || recall("night") === "1";
  phone.checked = /phone/.test(hash) || recall("phone") === "1";
  changed.checked = !changed.disabled && (/changed/.test(hash) || recall("changed") === "1");
  search.value = query.get("q") || recall("search") || "";
  applyNight();
  applyPhone();
  filter();
  if (!resume(placeFrom(recall("resume"))) && /^#(card|deck)-/.test(hash)) landOnHash();
  remember("resume", "");
  body.setAttribute("data-ready", "1");
  performance.mark("pv-ready");

  // -- Under `deckgen watch`: each new build replaces the cards in place; a failed one shows why --
  if (!body.getAttribute("data-live")) return;
  var badge = byId("pv-live");
  function show(state) {
    var errors = byId("pv-errors");
    var list = errors.querySelector("ul");
    list.textContent = "";
    (state.problems || []).forEach(function (line) {
      var item = doc.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    errors.hidden = !!state.ok;
    body.setAttribute("data-build-ok", state.ok ? "1" : "0");
  }
  function reload() {
    remember("resume", placeText(place()));
    location.reload();
  }
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = doc.createElement("script");
      script.src = src;
      script.onload = function () { script.remove(); resolve(); };
      script.onerror = reject;
      body.appendChild(script);
    });
  }
  // Put `wanted` (nodes) in `parent` in that order, and nothing else: a node already in its place
  // stays where it is, so that an update moves only what changed.
  function arrange(parent, wanted) {
    var keep = new Set(wanted);
    for (var node = parent.firstChild, after; node; node = after) {
      after = node.nextSibling;
      if (!keep.has(node)) parent.removeChild(node);
    }
    var at = parent.firstChild;
    for (var i = 0; i < wanted.length; i++) {
      if (wanted[i] === at) at = at.nextSibling; else parent.insertBefore(wanted[i], at);
    }
  }
  function setAttr(el, name, value) {
    if (value == null) { if (el.hasAttribute(name)) el.removeAttribute(name); }
    else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
  }
  // A card's key leaves out its Source line (file:line), which the back shows once: a box kept
  // after a question was added above it gets its new line here, else it is drawn anew.
  function retell(box, source) {
    var lines = box.querySelectorAll(".dg-back > .dg-source");
    if (lines.length !== 1) return false;
    lines[0].innerHTML = source;
    return true;
  }
  // The new build's page (`next`) and cards (`fresh`) put in place of the old ones. A card box
  // whose two sides are unchanged (the same key) is kept as it is, drawn and typeset: only its
  // number, badge and line above the card are brought up to date. The other boxes are new and
  // drawn as they come near the screen; the boxes of cards gone are removed. The styles, fonts,
  // MathJax, switches, search and place on the page stay (a reload would start them all again).
  function patch(next, fresh) {
    var rows = fresh.cards, nextBoxes = next.getElementsByClassName("pv-card");
    if (!rows || nextBoxes.length !== rows.length) throw new Error("the page and its cards' data differ");
    for (var r = 0; r < rows.length; r++) if (typeof rows[r][7] !== "string") throw new Error("cards without keys");
    var where = place();
    var spare = new Map();  // key -> [box, card, place] of the old boxes showing it, in page order
    articles.forEach(function (a, place) {
      var card = cards[+a.getAttribute("data-i")], list = spare.get(card[7]);
      if (list) list.push([a, card, place]); else spare.set(card[7], [[a, card, place]]);
    });
    var oldSections = new Map();
    sections.forEach(function (s) { oldSections.set(s.getAttribute("data-name"), s); });
    var old = data, oldTexts = texts;
    window.deckgenCards = data = fresh;
    cards = rows;
    var boxes = [], decks = [], added = [], gone = [];
    texts = oldTexts && [];
    each(next.querySelectorAll(".pv-main > .pv-deck"), function (model) {
      var name = model.getAttribute("data-name"), section = oldSections.get(name);
      if (section) oldSections.delete(name); else section = doc.importNode(model, false);
      ["id", "data-deck", "data-name"].forEach(function (n) { setAttr(section, n, model.getAttribute(n)); });
      var title = model.firstElementChild, heading = section.firstElementChild;
      if (!heading || heading.tagName !== "H2") heading = doc.importNode(title, true);
      else if (heading.innerHTML !== title.innerHTML) heading.innerHTML = title.innerHTML;
      var wanted = [heading];
      each(model.getElementsByClassName("pv-card"), function (m) {
        var i = m.getAttribute("data-i"), row = rows[+i], list = spare.get(row[7]);
        var was = list && list.shift(), box = was && was[0];
        if (box && was[1][4] !== row[4] && box.classList.contains("pv-done") && !retell(box, row[4])) {
          gone.push(box);
          box = null;
        }
        if (box) {
          var line = meta(row), same = line === meta(was[1], old);
          if (!same && box.classList.contains("pv-done")) box.firstElementChild.innerHTML = line;
          if (texts) texts[boxes.length] = same ? oldTexts[was[2]] : undefined;
        } else {
          box = doc.createElement("article");
          box.className = "pv-card";
          added.push(box);
        }
        setAttr(box, "id", m.id);
        setAttr(box, "data-i", i);
        setAttr(box, "data-status", m.getAttribute("data-status"));
        wanted.push(box);
        boxes.push(box);
      });
      arrange(section, wanted);
      decks.push(section);
    });
    var main = doc.querySelector(".pv-main"), open = {};
    each(main.querySelectorAll(":scope > .pv-note"), function (note) { if (note.open) open[note.className] = true; });
    var notes = Array.prototype.map.call(next.querySelectorAll(".pv-main > .pv-note"), function (model) {
      var note = doc.importNode(model, true);
      if (open[note.className]) note.open = true;
      return note;
    });
    arrange(main, [byId("pv-errors")].concat(notes, [byId("pv-empty")], decks));
    spare.forEach(function (list) { list.forEach(function (was) { gone.push(was[0]); }); });
    gone.forEach(function (box) { observer.unobserve(box); });
    if (gone.length && mathReady && window.MathJax && window.MathJax.typesetClear) {
      try { window.MathJax.typesetClear(gone); } catch (e) { /* nothing kept for them */ }
    }
    added.forEach(function (box) { observer.observe(box); });
    articles = boxes;
    sections = decks;
    total = boxes.length;
    byId("pv-toc").innerHTML = next.getElementById("pv-toc").innerHTML;
    ["pv-title", "pv-changed-label", "pv-only"].forEach(function (id) {
      var model = next.getElementById(id);
      if (byId(id).innerHTML !== model.innerHTML) byId(id).innerHTML = model.innerHTML;
    });
    changed.disabled = next.getElementById("pv-changed").disabled;
    if (changed.disabled) changed.checked = false;
    doc.title = next.title;
    ["data-build", "data-math-script"].forEach(function (name) { body.setAttribute(name, next.body.getAttribute(name)); });
    findToc();
    if (texts) texts.length = total;
    filter();
    resume(where);
    body.setAttribute("data-kept", boxes.length - added.length);
    body.setAttribute("data-added", added.length);
  }
  // The new build's cards: from its update (the sides of only the cards this page lacks), else
  // from its whole data script.
  function cardsOf(next) {
    var whole = function () {
      var src = next.querySelector('script[src^="cards-"]').getAttribute("src");
      return loadScript(src).then(function () { return window.deckgenCards; });
    };
    var changes = next.body.getAttribute("data-update");
    if (!changes) return whole();
    return fetch(changes, { cache: "no-store" })
      .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.json(); })
      .then(function (fresh) {
        var mine = new Map();  // the same key and source line: the same sides
        cards.forEach(function (card) { mine.set(card[7] + "\n" + card[4], card); });
        for (var i = 0; i < fresh.cards.length; i++) {
          var row = fresh.cards[i];
          if (row[0] !== null) continue;
          var had = mine.get(row[7] + "\n" + row[4]);
          if (!had) return whole();  // a card of a build this page skipped
          row[0] = had[0];
          row[1] = had[1];
        }
        return fresh;
      }, whole);
  }
  // Each update fetches the page the watcher wrote last; the last state it told is shown, so
  // that a build failing meanwhile keeps its errors on the page.
  var busy = false, told = null;
  function behind() { return told.ok && told.build !== body.getAttribute("data-build"); }
  function update() {
    busy = true;
    performance.mark("pv-update");
    fetch(location.pathname, { cache: "no-store" })
      .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.text(); })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, "text/html");
        performance.mark("pv-update-page");
        return cardsOf(next).then(function (fresh) {
          performance.mark("pv-update-cards");
          patch(next, fresh);
          show(told);
          performance.mark("pv-updated");
        });
      })
      .then(function () {
        busy = false;
        if (behind()) update();
      }, reload);
  }
  function connect() {
    var events = new EventSource("/_deckgen/events");
    events.onopen = function () { badge.textContent = "● live"; badge.classList.remove("pv-off"); };
    events.onerror = function () { badge.textContent = "○ reconnecting…"; badge.classList.add("pv-off"); };
    events.onmessage = function (e) {
      told = JSON.parse(e.data);
      if (!behind()) show(told);
      else if (body.hasAttribute("data-waiting")) { events.close(); reload(); }
      else if (!busy) update();
    };
  }
  connect();
})();
