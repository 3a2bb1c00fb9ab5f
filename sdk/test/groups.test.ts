import { describe, expect, it } from "vitest";
import { folderProblem, isValidFolder, MAX_FOLDER_DEPTH, parentFolder } from "../src/groups.js";

const SEGMENT_64 = "a".repeat(64);
const SEGMENT_65 = "a".repeat(65);

describe("isValidFolder", () => {
  it.each([
    "main",
    "acme",
    "acme/support",
    "a/b/c/d",
    "0",
    "9lives",
    "a_b-c",
    "a-",
    SEGMENT_64,
    `${SEGMENT_64}/${SEGMENT_64}`,
  ])("accepts %s", (folder) => {
    expect(isValidFolder(folder)).toBe(true);
    expect(folderProblem(folder)).toBeNull();
  });

  it.each([
    ["empty", ""],
    ["uppercase", "Acme"],
    ["leading slash", "/acme"],
    ["trailing slash", "acme/"],
    ["empty segment", "acme//support"],
    ["five levels", "a/b/c/d/e"],
    ["leading dash", "-acme"],
    ["leading underscore", "_acme"],
    ["dot segment", "acme/.."],
    ["dot inside", "acme.io"],
    ["space", "acme support"],
    ["backslash", "acme\\support"],
    ["non-ASCII letter", "café"],
    ["65-character segment", SEGMENT_65],
  ])("rejects %s", (_case, folder) => {
    expect(isValidFolder(folder)).toBe(false);
    expect(folderProblem(folder)).not.toBeNull();
  });
});

describe("folderProblem", () => {
  it("reports an empty folder", () => {
    expect(folderProblem("")).toBe("the folder is empty");
  });

  it("reports too many levels", () => {
    const problem = folderProblem("a/b/c/d/e");

    expect(problem).toContain('"a/b/c/d/e"');
    expect(problem).toContain("5 levels");
    expect(problem).toContain(`at most ${MAX_FOLDER_DEPTH}`);
  });

  it("names the bad segment", () => {
    const problem = folderProblem("acme/Support");

    expect(problem).toContain('segment "Support"');
    expect(problem).toContain('"acme/Support"');
    expect(problem).toContain("lowercase letters, digits, _ and -");
  });

  it("names an empty segment", () => {
    expect(folderProblem("acme//x")).toContain('segment ""');
  });

  it("names a segment that is too long", () => {
    expect(folderProblem(`acme/${SEGMENT_65}`)).toContain(`segment "${SEGMENT_65}"`);
  });
});

describe("parentFolder", () => {
  it.each([
    ["acme/support", "acme"],
    ["a/b/c/d", "a/b/c"],
    ["main", null],
  ])("parent of %s is %s", (folder, parent) => {
    expect(parentFolder(folder)).toBe(parent);
  });
});
