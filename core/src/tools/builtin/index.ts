/** The core's own MCP tools; plugins add theirs through `host.tools.register`. */
import type { ToolSpec } from "@arizuko/sdk";
import { grantTools } from "./grants.js";
import { groupTools } from "./groups.js";
import type { ToolKit } from "./kit.js";
import { messagingTools } from "./messaging.js";
import { sessionTools } from "./session.js";

export function builtinTools(kit: ToolKit, operatorGroup: string | null): ToolSpec[] {
  return [...messagingTools(kit), ...groupTools(kit, operatorGroup), ...grantTools(kit), ...sessionTools(kit)];
}

export type { ToolKit } from "./kit.js";
export type { CoreToolContext } from "./groups.js";
