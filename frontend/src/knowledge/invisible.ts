// Zero-width, tag and bidirectional-control characters: they show nothing, or reorder what is shown, so text
// can hide words from a reviewer. The same rules as the server's (knowledge/safety/hidden.py): characters
// with a job to do are left alone (a joiner inside an emoji or a non-Latin word, the tags of a subdivision
// flag, an ideographic variation selector after a CJK character, a byte order mark at the very start).

const INVISIBLE = /[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/u;

const NAMES: Record<number, string> = {
  0x061c: "ARABIC LETTER MARK",
  0x180e: "MONGOLIAN VOWEL SEPARATOR",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZERO WIDTH NON-JOINER",
  0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK",
  0x200f: "RIGHT-TO-LEFT MARK",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2060: "WORD JOINER",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE",
};

const isInvisible = (char: string | undefined) => char !== undefined && INVISIBLE.test(char);
const code = (char: string) => char.codePointAt(0)!;
const isTag = (char: string) => code(char) >= 0xe0000 && code(char) <= 0xe007f;
const joinable = (char: string | undefined) => char !== undefined && code(char) >= 0x370 && !/\s/u.test(char) && !isInvisible(char);
const cjk = (char: string | undefined) => {
  if (char === undefined) return false;
  const c = code(char);
  return (c >= 0x3400 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3ffff);
};

/** The name of an invisible character, for a tooltip. */
export function characterName(char: string): string {
  const c = code(char);
  if (isTag(char)) return "TAG CHARACTER";
  if (c >= 0xe0100 && c <= 0xe01ef) return "VARIATION SELECTOR";
  if (c >= 0x2061 && c <= 0x2064) return "INVISIBLE OPERATOR";
  return NAMES[c] ?? "INVISIBLE CHARACTER";
}

/** `⟦U+200B⟧`: how an invisible character is spelled where it must be seen. */
export function spelled(char: string): string {
  return `⟦U+${code(char).toString(16).toUpperCase().padStart(4, "0")}⟧`;
}

export type Piece = { text: string; invisible: boolean };

/** `text` cut into runs of ordinary text and single invisible characters that hide something. */
export function invisiblePieces(text: string): Piece[] {
  if (!INVISIBLE.test(text)) return [{ text, invisible: false }];
  const chars = Array.from(text);
  const pieces: Piece[] = [];
  let plain = "";
  let flagTagsUntil = -1;
  chars.forEach((char, index) => {
    let hides = isInvisible(char);
    if (hides) {
      const before = chars[index - 1];
      const after = chars[index + 1];
      if (index < flagTagsUntil) hides = false;
      else if (index === 0 && char === "\ufeff") hides = false;
      else if ((char === "\u200c" || char === "\u200d") && joinable(before) && joinable(after)) hides = false;
      else if (isTag(char) && before === "\u{1f3f4}") {
        let end = index;
        while (end < chars.length && end - index <= 8 && isTag(chars[end]) && chars[end] !== "\u{e007f}") end++;
        const letters = chars.slice(index, end).every((c) => code(c) >= 0xe0030 && code(c) <= 0xe007a);
        if (chars[end] === "\u{e007f}" && letters) {
          flagTagsUntil = end + 1;
          hides = false;
        }
      } else if (code(char) >= 0xe0100 && code(char) <= 0xe01ef && cjk(before)) hides = false;
    }
    if (hides) {
      if (plain) pieces.push({ text: plain, invisible: false });
      plain = "";
      pieces.push({ text: char, invisible: true });
    } else {
      plain += char;
    }
  });
  if (plain) pieces.push({ text: plain, invisible: false });
  return pieces;
}

/** Whether `text` holds an invisible character that hides something. */
export function hasInvisible(text: string): boolean {
  return invisiblePieces(text).some((piece) => piece.invisible);
}
