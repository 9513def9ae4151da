// The page's language and its sentences, from the one message catalogue (locale/*.po).
// The server sets <html lang> from the ?lang= switch or the `lang` cookie, and, for a language
// other than Indonesian, puts the catalogue's sentences that scripts say into
// <script type="application/json" id="catalogue"> (server/templates/base.html). A msgid is
// the Indonesian sentence itself, so in Indonesian say() answers it as it is.

/** "en" or "id" (Indonesian, the default). */
export function lang() {
  return document.documentElement.lang === "en" ? "en" : "id";
}

// msgid (or context + "\u0004" + msgid) -> the sentence in the page's language.
const catalogue = (() => {
  const element = typeof document === "undefined" ? null : document.getElementById("catalogue");
  return element ? JSON.parse(element.textContent) : {};
})();

/** `template` with each {name} replaced by `params[name]` ("" when missing). */
export function fill(template, params = {}) {
  return String(template).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** The catalogue's sentence `msgid` (Indonesian) in the page's language, filled from
 * `params` when given (else its {placeholders} are left for fill()). */
export function say(msgid, params) {
  const text = catalogue[msgid] ?? msgid;
  return params === undefined ? text : fill(text, params);
}

/** As say(), for a sentence that reads differently in `context` ("button", "list"). */
export function psay(context, msgid, params) {
  const text = catalogue[`${context}\u0004${msgid}`] ?? msgid;
  return params === undefined ? text : fill(text, params);
}

/** The Indonesian or the English of a pair of data the server sent in both (an alert's
 * text and text_en), by the page's language. Sentences of our own use say(). */
export function pick(indonesian, english) {
  return lang() === "en" ? english : indonesian;
}

/** A lookup for a page's table of sentences the server already said in the page's language
 * (JSON in the page): phrase(key, params) -> the sentence, filled. */
export function phrases(table) {
  return (key, params = {}) => {
    const entry = table[key];
    if (entry === undefined) throw new Error(`no sentence "${key}" in this page's table`);
    return fill(entry, params);
  };
}
