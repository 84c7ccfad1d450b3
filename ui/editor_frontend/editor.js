// The exercise editor: CodeMirror 6 (vendor/codemirror.js, window.CM) inside a Streamlit component.
//
// What it sends to Python (ui/code_editor.py), as the component's value:
//   {code, action: null}                                   the text, for the draft (after a pause or on blur)
//   {code, action: {kind: "run"|"submit", id, code}}       a click on Run / Submit, or Ctrl/Cmd+Enter
// An action carries the text as it was at that moment, in the same message: nothing typed before the
// click can be missing from what is graded. It is sent again with every later value until Python says
// it was handled (the `handled` argument), so a rerun that Streamlit merges or interrupts cannot lose it.
(function () {
  "use strict";
  const CM = window.CM;
  const SAVE_AFTER_MS = 600;
  const WRAP_STORE = "course-editor-wrap";

  // ------------------------------------------------------------------ the Streamlit component protocol
  function send(type, data) {
    window.parent.postMessage(Object.assign({isStreamlitMessage: true, type: type}, data || {}), "*");
  }
  function setValue(value) { send("streamlit:setComponentValue", {value: value, dataType: "json"}); }
  let lastHeight = -1;
  function fitHeight() {
    const height = Math.ceil(document.getElementById("root").getBoundingClientRect().height) + 2;
    if (height !== lastHeight) {
      lastHeight = height;
      send("streamlit:setFrameHeight", {height: height});
    }
  }

  // ------------------------------------------------------------------ state
  let view = null;
  let docKey = null;
  let locked = false;
  let pending = null;        // the latest action Python has not confirmed yet
  let saveTimer = null;
  let lastSentCode = null;
  let counter = 0;
  const wrapping = new CM.Compartment();
  const colours = new CM.Compartment();
  const runButton = document.getElementById("run");
  const submitButton = document.getElementById("submit");
  const wrapBox = document.getElementById("wrap");
  const lockNote = document.getElementById("lock");

  function text() { return view ? view.state.doc.toString() : ""; }

  function flush() {
    clearTimeout(saveTimer);
    saveTimer = null;
    const code = text();
    if (code === lastSentCode && pending === null) return;
    lastSentCode = code;
    setValue({code: code, action: pending});
  }

  function saveSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(flush, SAVE_AFTER_MS);
  }

  function act(kind) {
    if (locked || !view) return false;
    clearTimeout(saveTimer);
    saveTimer = null;
    const code = text();
    counter += 1;
    pending = {kind: kind, id: Date.now().toString(36) + "-" + counter + "-" + Math.random().toString(36).slice(2, 8),
               code: code};
    lastSentCode = code;
    setValue({code: code, action: pending});
    return true;
  }

  // ------------------------------------------------------------------ keys
  // Tab: accept the open suggestion, else indent (4 spaces at the cursor, or the selected lines).
  function tab(target) {
    if (CM.acceptCompletion(target)) return true;
    const state = target.state;
    if (state.selection.ranges.some(function (r) { return !r.empty; })) return CM.indentMore(target);
    target.dispatch(state.update(state.changeByRange(function (range) {
      const column = range.head - state.doc.lineAt(range.head).from;
      const spaces = " ".repeat(4 - (column % 4));
      return {changes: {from: range.head, insert: spaces}, range: CM.EditorSelection.cursor(range.head + spaces.length)};
    }), {scrollIntoView: true, userEvent: "input"}));
    return true;
  }

  const keys = CM.Prec.highest(CM.keymap.of([
    {key: "Mod-Enter", run: function () { act("run"); return true; }, preventDefault: true},
    {key: "Tab", run: tab, shift: CM.indentLess},
    {key: "Escape", run: CM.closeCompletion},
    {key: "ArrowDown", run: CM.moveCompletionSelection(true)},
    {key: "ArrowUp", run: CM.moveCompletionSelection(false)},
    {key: "PageDown", run: CM.moveCompletionSelection(true, "page")},
    {key: "PageUp", run: CM.moveCompletionSelection(false, "page")},
    {key: "Ctrl-Space", run: CM.startCompletion},
    // Enter is deliberately absent: it always starts a new line, never takes a suggestion.
  ]));

  // ------------------------------------------------------------------ colours
  const t = CM.tags;
  const darkHighlight = CM.HighlightStyle.define([
    {tag: [t.keyword, t.controlKeyword, t.definitionKeyword, t.moduleKeyword, t.operatorKeyword], color: "#c792ea"},
    {tag: [t.string, t.special(t.string)], color: "#c3e88d"},
    {tag: [t.number, t.bool, t.null], color: "#f78c6c"},
    {tag: [t.comment, t.lineComment], color: "#8b93a7", fontStyle: "italic"},
    {tag: [t.function(t.variableName), t.function(t.definition(t.variableName))], color: "#82aaff"},
    {tag: [t.className, t.definition(t.className)], color: "#ffcb6b"},
    {tag: [t.self, t.atom], color: "#ff5370"},
    {tag: t.propertyName, color: "#89ddff"},
  ]);
  function colourExtensions(dark) {
    return [CM.syntaxHighlighting(dark ? darkHighlight : CM.defaultHighlightStyle, {fallback: !dark}),
            CM.EditorView.theme({}, {dark: dark})];
  }

  function wrapExtension(on) { return on ? CM.EditorView.lineWrapping : []; }
  function storedWrap() {
    try {
      const stored = window.localStorage.getItem(WRAP_STORE);
      if (stored !== null) return stored === "1";
    } catch (e) { /* storage may be blocked */ }
    // The frame's own width: on a phone, or in a narrow column, wrap so that no line runs out of sight.
    return window.innerWidth < 640;
  }

  function sizeTheme(minLines, maxLines) {
    const line = 14 * 1.6;
    return CM.EditorView.theme({
      ".cm-scroller": {minHeight: Math.round(minLines * line + 8) + "px", maxHeight: Math.round(maxLines * line + 8) + "px",
                       overflow: "auto"},
    });
  }

  function create(code, args) {
    const wrap = storedWrap();
    wrapBox.checked = wrap;
    view = new CM.EditorView({
      parent: document.getElementById("editor"),
      state: CM.EditorState.create({
        doc: code,
        extensions: [
          keys,
          CM.lineNumbers(), CM.highlightActiveLineGutter(), CM.highlightSpecialChars(), CM.history(), CM.foldGutter(),
          CM.drawSelection(), CM.dropCursor(), CM.EditorState.allowMultipleSelections.of(true), CM.indentOnInput(),
          CM.bracketMatching(), CM.closeBrackets(), CM.autocompletion({defaultKeymap: false, interactionDelay: 0}),
          CM.rectangularSelection(), CM.crosshairCursor(), CM.highlightActiveLine(), CM.highlightSelectionMatches(),
          CM.keymap.of([].concat(CM.closeBracketsKeymap, CM.defaultKeymap, CM.searchKeymap, CM.historyKeymap,
                                 CM.foldKeymap)),
          CM.python(), CM.indentUnit.of("    "), CM.EditorState.tabSize.of(4),
          colours.of(colourExtensions(false)), wrapping.of(wrapExtension(wrap)),
          sizeTheme(args.min_lines || 22, args.max_lines || 40),
          CM.EditorView.contentAttributes.of({"aria-label": "Code editor", spellcheck: "false",
                                               autocapitalize: "off", autocorrect: "off"}),
          CM.EditorView.updateListener.of(function (update) { if (update.docChanged) saveSoon(); }),
          CM.EditorView.domEventHandlers({blur: function () { flush(); return false; }}),
        ],
      }),
    });
    lastSentCode = code;
    window.courseEditor = {view: view, text: text};  // for the browser tests
  }

  function replace(code) {
    view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: code}});
    lastSentCode = code;
    clearTimeout(saveTimer);
    saveTimer = null;
  }

  function applyTheme(theme) {
    if (!theme) return;
    const dark = theme.base === "dark";
    document.documentElement.classList.toggle("dark", dark);
    const root = document.documentElement.style;
    if (theme.primaryColor) root.setProperty("--primary", theme.primaryColor);
    if (theme.backgroundColor) root.setProperty("--bg", theme.backgroundColor);
    if (theme.textColor) root.setProperty("--fg", theme.textColor);
    if (theme.font) root.setProperty("--ui-font", theme.font);
    if (view) view.dispatch({effects: colours.reconfigure(colourExtensions(dark))});
  }

  function onRender(args, theme) {
    if (view === null) {
      create(args.code || "", args);
      docKey = args.doc_key;
    } else if (args.doc_key !== docKey) {
      docKey = args.doc_key;
      replace(args.code || "");
    }
    applyTheme(theme);
    if (pending !== null && args.handled === pending.id) pending = null;
    locked = Boolean(args.locked);
    runButton.disabled = locked;
    submitButton.disabled = locked;
    runButton.title = locked ? args.locked : "Run the public tests (Ctrl+Enter)";
    submitButton.title = locked ? args.locked : "Grade with every test, hidden ones included";
    lockNote.hidden = !locked;
    lockNote.textContent = locked ? "🔒 " + args.locked : "";
    fitHeight();
  }

  runButton.addEventListener("click", function () { act("run"); });
  submitButton.addEventListener("click", function () { act("submit"); });
  wrapBox.addEventListener("change", function () {
    try { window.localStorage.setItem(WRAP_STORE, wrapBox.checked ? "1" : "0"); } catch (e) { /* ignore */ }
    if (view) view.dispatch({effects: wrapping.reconfigure(wrapExtension(wrapBox.checked))});
  });
  window.addEventListener("message", function (event) {
    const data = event.data;
    if (data && data.type === "streamlit:render") onRender(data.args || {}, data.theme);
  });
  new ResizeObserver(fitHeight).observe(document.getElementById("root"));
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () { if (view) view.requestMeasure(); fitHeight(); });
  }
  send("streamlit:componentReady", {apiVersion: 1});
})();
