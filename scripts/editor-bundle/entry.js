// The CodeMirror 6 pieces the exercise editor uses (ui/editor_frontend/editor.js reads them from window.CM).
export {EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
        dropCursor, rectangularSelection, crosshairCursor, highlightSpecialChars, placeholder} from "@codemirror/view";
export {EditorState, EditorSelection, Compartment, Prec} from "@codemirror/state";
export {defaultKeymap, history, historyKeymap, indentMore, indentLess, insertNewlineAndIndent} from "@codemirror/commands";
export {indentOnInput, indentUnit, bracketMatching, foldGutter, foldKeymap, syntaxHighlighting,
        defaultHighlightStyle, HighlightStyle} from "@codemirror/language";
export {autocompletion, acceptCompletion, closeCompletion, startCompletion, moveCompletionSelection,
        completionStatus, closeBrackets, closeBracketsKeymap} from "@codemirror/autocomplete";
export {searchKeymap, highlightSelectionMatches} from "@codemirror/search";
export {python} from "@codemirror/lang-python";
export {tags} from "@lezer/highlight";
