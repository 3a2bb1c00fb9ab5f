/**
 * The seam between the plugin and Baileys: the part of a Baileys socket the plugin
 * uses, and the factory that makes one. The real factory is `makeWASocket` with the
 * plugin's settings; tests pass a fake that emits the same event shapes, because
 * Baileys' socket cannot be pointed at anything but WhatsApp's servers.
 */
import {
  makeWASocket,
  type AnyMessageContent,
  type AuthenticationState,
  type BaileysEventEmitter,
  type Contact,
  type GroupMetadata,
  type MiscMessageGenerationOptions,
  type proto,
  type WAMessage,
  type WAMessageKey,
  type WAPresence,
} from "baileys";
import type { BaileysLogger } from "./logger.js";

/** The socket calls the plugin makes: a subset of Baileys' `WASocket`. */
export interface WaSocket {
  ev: Pick<BaileysEventEmitter, "on" | "off">;
  /** The linked account (`creds.me`): `id` is the phone JID with device, `lid` the LID. */
  readonly user: Contact | undefined;
  sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: WAPresence, jid?: string): Promise<void>;
  /** Asks WhatsApp for an 8-character code the phone can enter instead of scanning the QR. */
  requestPairingCode(phoneNumber: string): Promise<string>;
  /** Unlinks this device; the socket closes with code 401. */
  logout(message?: string): Promise<void>;
  /** Closes the socket; `undefined` for an orderly close of our own. */
  end(error: Error | undefined): void;
  groupMetadata(jid: string): Promise<GroupMetadata>;
  /** Asks the sender's phone to upload a media file again after WhatsApp's copy expired. */
  updateMediaMessage(message: WAMessage): Promise<WAMessage>;
  signalRepository: { lidMapping: { getPNForLID(lid: string): Promise<string | null> } };
}

export interface SocketOptions {
  auth: AuthenticationState;
  logger: BaileysLogger;
  /** Returns the content of a message we sent, for a recipient's device that requests it again. */
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
  /** Group metadata from the plugin's cache, so a group send does not query it each time. */
  cachedGroupMetadata(jid: string): Promise<GroupMetadata | undefined>;
  /** Whether to fetch a chunk of the history the phone offers after linking. */
  shouldSyncHistoryMessage(notification: proto.Message.IHistorySyncNotification): boolean;
}

/** Makes a socket that starts connecting at once. */
export type SocketFactory = (options: SocketOptions) => WaSocket;

/** The real factory: a Baileys socket to WhatsApp. */
export const baileysSocket: SocketFactory = (options) =>
  makeWASocket({
    ...options,
    // [os, browser, version]: the phone's Linked Devices list shows "Chrome (arizuko)";
    // the browser name picks the platform type WhatsApp registers, so it stays a known one.
    browser: ["arizuko", "Chrome", "1.0.0"],
    // An account shown online gets no push notifications on the phone.
    markOnlineOnConnect: false,
    // Pairing requests recent history only from the phone; it is stored as context.
    syncFullHistory: false,
  });
