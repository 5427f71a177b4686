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
  // source, number, status] per card box, deck and tags indexing lists of HTML text.
  var data, cards, articles, sections, tocItems, total, texts, observer, drawn = 0;
  function setup() {
    data = window.deckgenCards;
    cards = data.cards;
    articles = Array.prototype.slice.call(doc.getElementsByClassName("pv-card"));
    sections = Array.prototype.slice.call(doc.getElementsByClassName("pv-deck"));
    tocItems = {};
    each(doc.querySelectorAll(".pv-toc li[data-deck]"), function (li) { tocItems[li.getAttribute("data-deck")] = li; });
    total = articles.length;
    texts = null;
    if (observer) observer.disconnect();
    observer = new IntersectionObserver(function (entries) {
      for (var i = 0; i < entries.length; i++) if (entries[i].isIntersecting) draw(entries[i].target);
    }, { rootMargin: "1200px 0px" });
    articles.forEach(function (a) { observer.observe(a); });
  }

  // -- Cards: drawn into the page when they come near the screen --------------------------------
  var MATH = /\\[(\[]/;
  function cardClass() { return night.checked ? "card nightMode night_mode" : "card"; }
  function side(label, html) {
    return '<div class="pv-side"><div class="pv-label">' + label + '</div><div class="pv-view"><div class="' +
      cardClass() + '">' + html + "</div></div></div>";
  }
  function meta(card) {  // the line above a card: number, change, deck, tags, source line
    var line = '<a class="pv-num" href="#card-' + card[5] + '">#' + card[5] + "</a>";
    if (card[6]) line += '<span class="pv-badge pv-' + card[6] + '">' + card[6] + "</span>";
    line += '<span class="pv-deckname">' + data.decks[card[2]] + "</span>";
    data.tags[card[3]].forEach(function (tag) { line += '<span class="pv-tag">' + tag + "</span>"; });
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
  function searchTexts() {  // made once, at the first search: the back holds the front too
    if (texts) return texts;
    texts = articles.map(function (a) {
      var card = cards[+a.getAttribute("data-i")];
      var plain = (card[1] + " " + meta(card)).replace(/<[^>]*>/g, " ").replace(ENTITY, entity);
      return plain.normalize("NFC").toLowerCase();
    });
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
      if (box.bottom > head) return articles[i].id + " " + Math.round(box.top);
    }
    return "";
  }
  function resume(where) {
    var parts = (where || "").split(" "), at = parts[0] && byId(parts[0]);
    if (!at || at.hidden) return false;
    land(at, +parts[1]);
    return true;
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
  if (!resume(recall("resume")) && /^#(card|deck)-/.test(hash)) landOnHash();
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
    remember("resume", place());
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
  // The new page's cards, table of contents and header replace the old ones; the styles, fonts,
  // MathJax, switches, search and place on the page stay (a reload would start them all again).
  function swap(next) {
    var where = place();
    byId("pv-toc").innerHTML = next.getElementById("pv-toc").innerHTML;
    doc.querySelector(".pv-main").innerHTML = next.querySelector(".pv-main").innerHTML;
    ["pv-title", "pv-changed-label", "pv-only"].forEach(function (id) {
      byId(id).innerHTML = next.getElementById(id).innerHTML;
    });
    changed.disabled = next.getElementById("pv-changed").disabled;
    if (changed.disabled) changed.checked = false;
    doc.title = next.title;
    ["data-build", "data-math-script"].forEach(function (name) { body.setAttribute(name, next.body.getAttribute(name)); });
    drawn = 0;
    setup();
    filter();
    resume(where);
  }
  var busy = false, latest = null;
  function update(state) {
    if (busy) { latest = state; return; }
    busy = true;
    performance.mark("pv-update");
    fetch(location.pathname, { cache: "no-store" })
      .then(function (answer) { if (!answer.ok) throw new Error(answer.status); return answer.text(); })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, "text/html");
        var src = next.querySelector('script[src^="cards-"]').getAttribute("src");
        performance.mark("pv-update-page");
        return loadScript(src).then(function () {
          performance.mark("pv-update-cards");
          swap(next);
          show(state);
          performance.mark("pv-updated");
        });
      })
      .then(function () {
        busy = false;
        var again = latest;
        latest = null;
        if (again && again.build !== body.getAttribute("data-build")) update(again);
      }, reload);
  }
  function connect() {
    var events = new EventSource("/_deckgen/events");
    events.onopen = function () { badge.textContent = "● live"; badge.classList.remove("pv-off"); };
    events.onerror = function () { badge.textContent = "○ reconnecting…"; badge.classList.add("pv-off"); };
    events.onmessage = function (e) {
      var state = JSON.parse(e.data);
      if (state.ok && state.build !== body.getAttribute("data-build")) {
        if (body.hasAttribute("data-waiting")) { events.close(); reload(); } else update(state);
      } else {
        show(state);
      }
    };
  }
  connect();
})();
