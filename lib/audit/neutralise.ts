// Terminal output made safe to show an auditor: escape sequences (colours, cursor moves, OSC
// titles, anything that could redraw or hide text) are removed, and any other control
// character is shown as U+FFFD instead of acting. Line breaks and tabs survive.
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[@-Z\\-_]|.?)|\x9b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function neutralise(text: string): string {
  return text.replace(ESCAPES, "").replace(/\r\n/g, "\n").replace(/\r/g, "\n").replace(CONTROLS, "\uFFFD");
}
