/**
 * The gateway half of the fake Discord: a WebSocket endpoint that speaks gateway v10 in
 * uncompressed JSON, as @discordjs/ws 1.2 uses it. It sends HELLO, acknowledges heartbeats,
 * checks IDENTIFY (token, intents), starts sessions with READY and GUILD_CREATE, numbers
 * every dispatch with `s`, and on RESUME replays what the client missed, then RESUMED.
 *
 * Contract: a session keeps every dispatch it was sent, so a RESUME with sequence N
 * receives exactly the dispatches numbered above N. Dispatches made while a session has
 * no connection are kept the same way, as Discord keeps them for a dropped client.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GatewayCloseCodes, GatewayIntentBits, GatewayOpcodes } from "discord.js";
import { WebSocket, WebSocketServer } from "ws";

/** Intents a bot must switch on in the Developer Portal before IDENTIFY may carry them. */
export const PRIVILEGED_INTENTS =
  GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

/** Every intent bit Discord defines. IDENTIFY with any other bit gets close code 4013. */
const KNOWN_INTENTS = Object.values(GatewayIntentBits)
  .filter((bit): bit is number => typeof bit === "number")
  .reduce((all, bit) => all | bit, 0);

/** What the gateway reads from the fake it belongs to. */
export interface GatewayHost {
  /** The bot token that IDENTIFY and RESUME must carry, without the "Bot " prefix. */
  readonly token: string;
  /** Privileged intents switched on for the application, as a bitfield of GatewayIntentBits. */
  readonly enabledPrivilegedIntents: number;
  /** HELLO's heartbeat_interval in ms. */
  readonly heartbeatIntervalMs: number;
  /** The URL READY names as resume_gateway_url. */
  readonly gatewayUrl: string;
  /** READY's data for a new session, apart from session_id and resume_gateway_url. */
  readyData(): Record<string, unknown>;
  /** GUILD_CREATE data for each guild, sent after READY to sessions with the Guilds intent. */
  guildCreateData(): Array<Record<string, unknown>>;
}

/** Tells whether a session asked for every bit of `intent` in its IDENTIFY. */
export function hasIntent(session: GatewaySession, intent: number): boolean {
  return (session.intents & intent) === intent;
}

export interface DispatchPayload {
  op: GatewayOpcodes.Dispatch;
  t: string;
  s: number;
  d: unknown;
}

/** A gateway session, which outlives its connection so that a RESUME can continue it. */
export interface GatewaySession {
  readonly id: string;
  readonly intents: number;
  /** The `s` of the last dispatch sent in this session, or 0 before READY. */
  sequence: number;
  /** Every dispatch of the session, in order, for replay on RESUME. */
  readonly log: DispatchPayload[];
  socket: WebSocket | null;
  /** False once the client closed with 1000 or 1001 or a test invalidated it. A RESUME then gets op 9. */
  resumable: boolean;
}

/** An IDENTIFY as received, rejected ones included. The token is left out. */
export interface IdentifyRecord {
  intents: number;
  shard?: [number, number];
  properties?: Record<string, string>;
  /** The close code the fake rejected it with, or null when it started a session. */
  rejectedWith: number | null;
}

export interface ResumeRecord {
  sessionId: string;
  seq: number;
  /** How many missed dispatches were replayed before RESUMED, or null when the RESUME was rejected. */
  replayed: number | null;
}

export interface CloseRecord {
  code: number;
  reason: string;
  /** Who closed: the fake (a rejection or a test's dropConnection) or the client. */
  by: "fake" | "client";
}

interface Connection {
  socket: WebSocket;
  session: GatewaySession | null;
  /** Set when the fake closes the socket, so the close is recorded as the fake's. */
  closedByFake: { code: number; reason: string } | null;
}

export class FakeGateway {
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  readonly closes: CloseRecord[] = [];
  /** Heartbeats received; each one was acknowledged with op 11. */
  heartbeats = 0;
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly connections = new Set<Connection>();
  private readonly server = new WebSocketServer({ noServer: true });

  constructor(private readonly host: GatewayHost) {}

  /** Takes over an HTTP upgrade request for the gateway path. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.server.handleUpgrade(request, socket, head, (webSocket) => this.open(webSocket, request));
  }

  /**
   * Sends a dispatch to every live session, numbered with that session's next `s`.
   * `build` returns the data as that session may see it, or null to skip the session.
   * That is how intents filter events.
   */
  dispatch(event: string, build: (session: GatewaySession) => unknown): void {
    for (const session of this.sessions.values()) {
      if (!session.resumable) continue;
      const data = build(session);
      if (data !== null) this.sendDispatch(session, event, data);
    }
  }

  /**
   * Drops every open connection, the way a network fault or a gateway restart does.
   * Without a code the TCP connection is cut with no close frame, so the client sees 1006.
   * With a code the socket is closed with it. Returns how many connections were dropped.
   */
  drop(options: { code?: number; invalidateSession?: boolean } = {}): number {
    let dropped = 0;
    for (const connection of this.connections) {
      const session = connection.session;
      if (session && options.invalidateSession) session.resumable = false;
      if (session) session.socket = null;
      if (options.code === undefined) {
        connection.closedByFake = { code: 1006, reason: "connection cut" };
        connection.socket.terminate();
      } else {
        this.close(connection, options.code, "dropped by the test");
      }
      dropped++;
    }
    return dropped;
  }

  /** Sessions by id, for tests that inspect sequences and logs. */
  session(id: string): GatewaySession | undefined {
    return this.sessions.get(id);
  }

  stop(): void {
    for (const connection of this.connections) connection.socket.terminate();
    this.server.close();
  }

  private open(socket: WebSocket, request: IncomingMessage): void {
    const connection: Connection = { socket, session: null, closedByFake: null };
    this.connections.add(connection);
    socket.on("message", (raw) => this.receive(connection, raw.toString()));
    socket.on("close", (code, reason) => this.closed(connection, code, reason.toString()));

    // @discordjs/ws connects with ?v=10&encoding=json, and adds compress= only when zlib-sync is installed.
    const query = new URL(request.url ?? "/", "http://fake").searchParams;
    if (query.get("v") !== "10") return this.close(connection, GatewayCloseCodes.InvalidAPIVersion, "Invalid API version");
    if (query.get("encoding") !== "json" || query.has("compress")) {
      return this.close(connection, GatewayCloseCodes.DecodeError, "the fake speaks uncompressed JSON only");
    }
    this.send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.host.heartbeatIntervalMs } });
  }

  private receive(connection: Connection, text: string): void {
    let payload: { op?: unknown; d?: unknown };
    try {
      payload = JSON.parse(text) as { op?: unknown; d?: unknown };
    } catch {
      return this.close(connection, GatewayCloseCodes.DecodeError, "Decode error.");
    }
    const data = (payload.d ?? {}) as Record<string, unknown>;

    switch (payload.op) {
      case GatewayOpcodes.Heartbeat:
        this.heartbeats++;
        return this.send(connection.socket, { op: GatewayOpcodes.HeartbeatAck });
      case GatewayOpcodes.Identify:
        return this.identify(connection, data);
      case GatewayOpcodes.Resume:
        return this.resume(connection, data);
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestGuildMembers:
      case GatewayOpcodes.RequestSoundboardSounds:
        // Accepted and ignored: the fake has no presences, voice or member lists to send.
        if (!connection.session) this.close(connection, GatewayCloseCodes.NotAuthenticated, "Not authenticated.");
        return;
      default:
        return this.close(connection, GatewayCloseCodes.UnknownOpcode, "Unknown opcode.");
    }
  }

  private identify(connection: Connection, data: Record<string, unknown>): void {
    const intents = Number(data.intents);
    const record: IdentifyRecord = {
      intents,
      ...(Array.isArray(data.shard) && { shard: data.shard as [number, number] }),
      ...(typeof data.properties === "object" && { properties: data.properties as Record<string, string> }),
      rejectedWith: null,
    };
    this.identifies.push(record);

    const rejection = this.checkIdentify(connection, data.token, intents);
    if (rejection) {
      record.rejectedWith = rejection.code;
      return this.close(connection, rejection.code, rejection.reason);
    }

    const session: GatewaySession = {
      id: randomBytes(16).toString("hex"),
      intents,
      sequence: 0,
      log: [],
      socket: connection.socket,
      resumable: true,
    };
    this.sessions.set(session.id, session);
    connection.session = session;
    const ready = { ...this.host.readyData(), session_id: session.id, resume_gateway_url: this.host.gatewayUrl };
    this.sendDispatch(session, "READY", ready);
    if ((intents & GatewayIntentBits.Guilds) === 0) return;
    for (const guild of this.host.guildCreateData()) this.sendDispatch(session, "GUILD_CREATE", guild);
  }

  private checkIdentify(connection: Connection, token: unknown, intents: number): { code: number; reason: string } | null {
    if (connection.session) return { code: GatewayCloseCodes.AlreadyAuthenticated, reason: "Already authenticated." };
    if (token !== this.host.token) return { code: GatewayCloseCodes.AuthenticationFailed, reason: "Authentication failed." };
    if (!Number.isInteger(intents) || (intents & ~KNOWN_INTENTS) !== 0) {
      return { code: GatewayCloseCodes.InvalidIntents, reason: "Invalid intent(s)." };
    }
    if ((intents & PRIVILEGED_INTENTS & ~this.host.enabledPrivilegedIntents) !== 0) {
      return { code: GatewayCloseCodes.DisallowedIntents, reason: "Disallowed intent(s)." };
    }
    return null;
  }

  private resume(connection: Connection, data: Record<string, unknown>): void {
    const sessionId = String(data.session_id);
    const seq = Number(data.seq);
    const record: ResumeRecord = { sessionId, seq, replayed: null };
    this.resumes.push(record);

    if (connection.session) return this.close(connection, GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
    if (data.token !== this.host.token) return this.close(connection, GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
    const session = this.sessions.get(sessionId);
    // Discord rejects a RESUME of a session it no longer has with op 9 and d: false, so the client identifies anew.
    if (!session || !session.resumable) return this.send(connection.socket, { op: GatewayOpcodes.InvalidSession, d: false });
    if (!Number.isInteger(seq) || seq > session.sequence) return this.close(connection, GatewayCloseCodes.InvalidSeq, "Invalid seq.");

    // A client that resumes on a new connection while the old one still looks open replaces it.
    if (session.socket && session.socket !== connection.socket) session.socket.terminate();
    session.socket = connection.socket;
    connection.session = session;
    const missed = session.log.filter((payload) => payload.s > seq);
    for (const payload of missed) this.send(connection.socket, payload);
    record.replayed = missed.length;
    this.sendDispatch(session, "RESUMED", {});
  }

  private sendDispatch(session: GatewaySession, event: string, data: unknown): void {
    session.sequence++;
    const payload: DispatchPayload = { op: GatewayOpcodes.Dispatch, t: event, s: session.sequence, d: data };
    session.log.push(payload);
    if (session.socket) this.send(session.socket, payload);
  }

  private send(socket: WebSocket, payload: object): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  private close(connection: Connection, code: number, reason: string): void {
    connection.closedByFake = { code, reason };
    connection.socket.close(code, reason);
  }

  private closed(connection: Connection, code: number, reason: string): void {
    this.connections.delete(connection);
    this.closes.push(connection.closedByFake ? { ...connection.closedByFake, by: "fake" } : { code, reason, by: "client" });
    const session = connection.session;
    if (!session || session.socket !== connection.socket) return;
    session.socket = null;
    // A client that closes with 1000 or 1001 ends its session on Discord, while any other code keeps it resumable.
    if (!connection.closedByFake && (code === 1000 || code === 1001)) session.resumable = false;
  }
}
