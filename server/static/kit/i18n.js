// The page's language and its sentences. The server sets <html lang> from the ?lang= switch
// or the `lang` cookie, so the page's own attribute is the one answer every script reads.
// Each room keeps its sentences in a table of its own: key -> [Indonesian, English], or
// key -> one sentence the server already chose in the page's language.

/** "en" or "id" (Indonesian, the default). */
export function lang() {
  return document.documentElement.lang === "en" ? "en" : "id";
}

/** The Indonesian or the English of a pair, by the page's language. */
export function pick(indonesian, english) {
  return lang() === "en" ? english : indonesian;
}

/** `template` with each {name} replaced by `params[name]` ("" when missing). */
export function fill(template, params = {}) {
  return String(template).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

/** A lookup for `table`: say(key, params) -> the sentence in the page's language, filled. */
export function phrases(table) {
  return (key, params = {}) => {
    const entry = table[key];
    if (entry === undefined) throw new Error(`no sentence "${key}" in this page's table`);
    return fill(Array.isArray(entry) ? pick(...entry) : entry, params);
  };
}
