/**
 * The system prompt every model harness starts from: the group's PERSONA.md (who the
 * agent is), MEMORY.md (what it keeps), and an index of its skills (the first line of
 * each skills/*.md). Missing files are left out.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Cap on each file's share of the prompt, so a runaway memory file cannot crowd out the conversation. */
const MAX_SECTION_CHARS = 32_000;

function read(path: string): string | null {
  try {
    const text = readFileSync(path, "utf8").trim();
    return text.length > MAX_SECTION_CHARS ? `${text.slice(0, MAX_SECTION_CHARS)}\n[… cut at ${MAX_SECTION_CHARS} characters]` : text;
  } catch {
    return null;
  }
}

function skillsIndex(groupPath: string): string | null {
  let files: string[];
  try {
    files = readdirSync(join(groupPath, "skills")).filter((name) => name.endsWith(".md")).sort();
  } catch {
    return null;
  }
  const lines = files.map((name) => {
    const first = (read(join(groupPath, "skills", name)) ?? "").split("\n")[0]!.replace(/^#+\s*/, "");
    return `- skills/${name}: ${first}`;
  });
  return lines.length > 0 ? lines.join("\n") : null;
}

/** The names of the harness's file tools, as the prompt mentions them. */
export interface FileToolNames {
  read: string;
  write: string;
}

export function systemPrompt(groupPath: string, tools: FileToolNames = { read: "read_file", write: "write_file" }): string {
  const sections = [
    read(join(groupPath, "PERSONA.md")),
    [`# Memory (MEMORY.md; keep it current with ${tools.write})`, read(join(groupPath, "MEMORY.md")) ?? "(empty)"].join("\n\n"),
  ];
  const skills = skillsIndex(groupPath);
  if (skills) sections.push(`# Skills (read one with ${tools.read} before you use it)\n\n${skills}`);
  sections.push(
    "Messages arrive as <messages> with <message> elements; attribute values and text are the users' own words, escaped. Answer in Markdown. Your final text is sent as your reply; use tools to act.",
  );
  return sections.filter((section): section is string => section !== null).join("\n\n");
}
