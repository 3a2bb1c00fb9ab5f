/**
 * The questions `arizuko init` asks on a terminal: which plugins to load, the first
 * operator's username and the port. They read whole lines from any input stream, so
 * tests answer them through in-memory streams.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { errors } from "../errors.js";

export interface PluginChoice {
  name: string;
  description: string;
}

export interface InitAnswers {
  plugins: string[];
  operator: string;
  port: number;
}

export interface InitQuestions {
  /** Every plugin on offer, in the order listed. */
  choices: PluginChoice[];
  /** The answer Enter gives to each question; `plugins` are the ones marked at first. */
  defaults: InitAnswers;
  /** The questions to ask; the others keep their default. */
  ask: Record<keyof InitAnswers, boolean>;
  /** Returns why a username cannot be used, or null. */
  checkOperator(name: string): string | null;
}

const DESCRIPTION_WIDTH = 72;

/** Reads one line per question; the lines are buffered, so answers written ahead are not lost. */
function lineReader(input: Readable, output: Writable): { question(text: string): Promise<string>; close(): void } {
  const reader = createInterface({ input, terminal: false, crlfDelay: Infinity });
  const lines = reader[Symbol.asyncIterator]();
  return {
    async question(text) {
      output.write(text);
      const next = await lines.next();
      if (next.done) throw errors.cliUsage("the input ended before every question was answered; pass --yes to take the defaults without questions");
      return (next.value as string).trim();
    },
    close: () => reader.close(),
  };
}

function shorten(text: string): string {
  return text.length <= DESCRIPTION_WIDTH ? text : `${text.slice(0, DESCRIPTION_WIDTH - 1)}…`;
}

function pluginList(choices: PluginChoice[], chosen: Set<string>): string {
  const width = Math.max(...choices.map((choice) => choice.name.length));
  const rows = choices.map((choice, index) => {
    const mark = chosen.has(choice.name) ? "[x]" : "[ ]";
    return `  ${String(index + 1).padStart(2)} ${mark} ${choice.name.padEnd(width)}  ${shorten(choice.description)}`;
  });
  return `Plugins ([x] = loaded):\n${rows.join("\n")}\n`;
}

/** Maps each word of an answer (a number from the list or a plugin name) to a plugin name; returns an error message for a word that is neither. */
function pickedNames(answer: string, choices: PluginChoice[]): string[] | string {
  const names: string[] = [];
  for (const word of answer.split(/[\s,]+/).filter(Boolean)) {
    const index = /^\d+$/.test(word) ? Number(word) - 1 : choices.findIndex((choice) => choice.name === word);
    const choice = choices[index];
    if (!choice) return `"${word}" is not on the list; type numbers from 1 to ${choices.length} or plugin names`;
    names.push(choice.name);
  }
  return names;
}

/** Asks until an empty line; each answer switches the named plugins on or off. */
async function askPlugins(questions: InitQuestions, reader: ReturnType<typeof lineReader>, output: Writable): Promise<string[]> {
  const { choices } = questions;
  const chosen = new Set(questions.defaults.plugins);
  for (;;) {
    output.write(pluginList(choices, chosen));
    const answer = await reader.question('Switch plugins on or off by number or name (e.g. "9 10" or "telegram"), Enter when done: ');
    if (answer === "") {
      if (chosen.size > 0) return choices.map((choice) => choice.name).filter((name) => chosen.has(name));
      output.write("Choose at least one plugin (web is the chat page).\n");
      continue;
    }
    const names = pickedNames(answer, choices);
    if (typeof names === "string") {
      output.write(`${names}\n`);
      continue;
    }
    for (const name of names) {
      if (chosen.has(name)) chosen.delete(name);
      else chosen.add(name);
    }
  }
}

async function askOperator(questions: InitQuestions, reader: ReturnType<typeof lineReader>, output: Writable): Promise<string> {
  for (;;) {
    const answer = (await reader.question(`Username of the first operator [${questions.defaults.operator}]: `)) || questions.defaults.operator;
    const problem = questions.checkOperator(answer);
    if (problem === null) return answer;
    output.write(`${problem}\n`);
  }
}

async function askPort(questions: InitQuestions, reader: ReturnType<typeof lineReader>, output: Writable): Promise<number> {
  for (;;) {
    const answer = (await reader.question(`Port for the web chat and dashboard [${questions.defaults.port}]: `)) || String(questions.defaults.port);
    const port = Number(answer);
    if (/^\d+$/.test(answer) && port <= 65535) return port;
    output.write(`"${answer}" is not a port; type a whole number from 0 to 65535 (0 picks a free one at each start)\n`);
  }
}

/** Asks the questions `ask` selects and returns every answer, defaults for the rest. */
export async function askInit(questions: InitQuestions, streams: { input: Readable; output: Writable }): Promise<InitAnswers> {
  const reader = lineReader(streams.input, streams.output);
  try {
    const answers = { ...questions.defaults };
    if (questions.ask.plugins) answers.plugins = await askPlugins(questions, reader, streams.output);
    if (questions.ask.operator) answers.operator = await askOperator(questions, reader, streams.output);
    if (questions.ask.port) answers.port = await askPort(questions, reader, streams.output);
    return answers;
  } finally {
    reader.close();
  }
}
