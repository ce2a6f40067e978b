// CSV for spreadsheets and scripts (RFC 4180): every text cell quoted, quotes doubled, rows
// ended with CRLF; an empty cell is null, `""` an empty string. Pure: safe anywhere.

// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection,
// OWASP): such cells get a leading apostrophe, which spreadsheets show as plain text.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export const csvRow = (cells: readonly (string | number | boolean | null | undefined)[]) => `${cells.map(csvCell).join(",")}\r\n`;
