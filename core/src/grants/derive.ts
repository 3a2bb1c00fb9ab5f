/**
 * Default grants of a group, from its depth and the routes that reach it. Tool calls
 * are checked with the params `sender_role` and, for tools that touch a chat, `chat`
 * and `platform`, so the defaults are written over those:
 *
 *   the operator group     *                         everything
 *   a top-level group      *(platform=P), *(!platform)  every action on the platforms P whose
 *                                                    chats route into its subtree, and every
 *                                                    action that touches no chat
 *   a second-level group   send(platform=P), reply(platform=P)   on its top-level group's platforms
 *   deeper groups          reply                     only reply in the run's own chat
 *
 * Operator overrides are appended after these by the caller, so they win.
 *
 * NOTE: the defaults ignore `sender_role`, so a guest's run in a top-level group may
 * call register_group and the route tools; an override such as
 * `!register_group(sender_role=guest)` closes that per group.
 */
import { routePlatform, type RouteRow } from "@arizuko/sdk";

export { routePlatform };

export interface DeriveInput {
  folder: string;
  /** The group named as the operator's in config, or null. */
  operatorGroup: string | null;
  /** The route table's rows (empty when route-table is not loaded). */
  routes: Array<Pick<RouteRow, "match" | "target" | "mode">>;
}

const SENDER_PLACEHOLDER = "{sender}";

/** True when `target` (which may hold `{sender}`, one folder segment) is `folder` or below it. */
function reaches(target: string, folder: string): boolean {
  const targetSegments = target.split("/");
  const folderSegments = folder.split("/");
  if (targetSegments.length < folderSegments.length) return false;
  return folderSegments.every((segment, index) => targetSegments[index] === segment || targetSegments[index] === SENDER_PLACEHOLDER);
}

/** Lists the platforms whose chats route into `folder`'s subtree, as globs, in route order. */
export function platformsReaching(folder: string, routes: DeriveInput["routes"]): string[] {
  const platforms = routes
    .filter((route) => reaches(route.target, folder))
    .map((route) => routePlatform(route.match))
    // A glob that could not be written inside a rule's parentheses limits nothing safely.
    .filter((platform) => !/[(),\s]/.test(platform));
  if (platforms.includes("*")) return ["*"];
  return [...new Set(platforms)];
}

export function deriveRules({ folder, operatorGroup, routes }: DeriveInput): string[] {
  if (operatorGroup !== null && folder === operatorGroup) return ["*"];
  const depth = folder.split("/").length;
  // A child is mostly reached by delegation, not by routes: it works on the platforms of
  // its top-level group's subtree.
  const platforms = platformsReaching(folder.split("/")[0]!, routes);

  if (depth === 1) return [...platforms.map((platform) => `*(platform=${platform})`), "*(!platform)"];
  if (depth === 2) return platforms.flatMap((platform) => [`send(platform=${platform})`, `reply(platform=${platform})`]);
  return ["reply"];
}
