/**
 * Formats rows as an aligned plain-text table for CLI output: columns padded to their
 * widest cell and separated by two spaces, trailing spaces trimmed.
 */
export function formatTable(rows: string[][]): string {
  if (rows.length === 0) return "";
  const columns = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n");
}
