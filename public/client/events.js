// @ts-check
/** What a RoomClient tells its listeners: one event class per kind, fields typed, and `on` to listen by name. */

/** @import { Header, Joined, Payload } from "./frames.js" */
/** @import { MemberInfo, PresenceEntry } from "./presence.js" */

/** The first frame of a positioned join: where the membership starts, whether `since` was honoured. */
export class JoinedEvent extends Event {
  /**
   * @param {Joined} joined
   * @param {boolean} resumed whether this join came back after a drop (`since` was sent)
   */
  constructor(joined, resumed) {
    super("joined");
    this.position = joined.position;
    /** False: history no longer covered `since`; what was sent meanwhile is lost (reload it elsewhere). */
    this.recovered = joined.recovered;
    /** Message events from history that follow before live ones. */
    this.replayed = joined.replayed;
    /** With `recovered: false`: where history now starts. */
    this.start = joined.start;
    this.resumed = resumed;
  }
}

/** A message from the room, out of its envelope. */
export class RoomMessageEvent extends Event {
  /**
   * @param {Payload} data
   * @param {Header} header
   */
  constructor(data, header) {
    super("message");
    this.data = data;
    this.position = header.position;
    /** The sending member's id (its token's `sub` in a private room). */
    this.sender = header.sender;
    /** When it entered the room, in ms since the epoch. */
    this.time = header.time;
    /** "http": published with `POST /rooms/:name`; null: sent by a member. */
    this.via = header.via;
    /** The id it was sent with (a RoomClient's `send`, `Idempotency-Key`); null without one. */
    this.id = header.id;
  }
}

/** The room stored a message `send` returned `id` for: it reaches every member, once. */
export class AckEvent extends Event {
  /** @param {string} id @param {string} position the message's place in the room's history */
  constructor(id, position) {
    super("ack");
    this.id = id;
    this.position = position;
  }
}

/** A message still unacked when the client stopped for good: it may not have been stored. */
export class FailedEvent extends Event {
  /** @param {string} id @param {string} reason why the client stopped */
  constructor(id, reason) {
    super("failed");
    this.id = id;
    this.reason = reason;
  }
}

/** The count of messages sent (or kept to send) and not yet acked changed. */
export class PendingEvent extends Event {
  /** @param {number} count */
  constructor(count) {
    super("pending");
    this.count = count;
  }
}

/** A presence snapshot (`{ presence: true }`): the map was replaced; after `joined`, and when the list was truncated or is whole again. */
export class PresenceEvent extends Event {
  /** @param {ReadonlyMap<string, PresenceEntry>} members @param {number} users @param {boolean} truncated */
  constructor(members, users, truncated) {
    super("presence");
    /** Who is here: id → { info, connections } (at most ROOM_PRESENCE_MAX users). */
    this.members = members;
    /** Users in the room, exact even when truncated. */
    this.users = users;
    /** True: `members` is a part, and no join or leave follows until a fresh snapshot. */
    this.truncated = truncated;
  }
}

/** A user's first connection arrived (never the client's own). */
export class MemberJoinEvent extends Event {
  /** @param {string} id @param {MemberInfo | null} info */
  constructor(id, info) {
    super("join");
    this.id = id;
    this.info = info;
  }
}

/** A user's last connection went. */
export class MemberLeaveEvent extends Event {
  /** @param {string} id */
  constructor(id) {
    super("leave");
    this.id = id;
  }
}

/** A connection ended and another is due after `delay` ms. */
export class ReconnectingEvent extends Event {
  /** @param {number} code @param {string} reason @param {number} delay @param {number} attempt */
  constructor(code, reason, delay, attempt) {
    super("reconnecting");
    this.code = code;
    this.reason = reason;
    this.delay = delay;
    this.attempt = attempt;
  }
}

/** The client stopped for good: `why` says so in words. */
export class RoomCloseEvent extends Event {
  /** @param {number} code @param {string} reason @param {string} why */
  constructor(code, reason, why) {
    super("close");
    this.code = code;
    this.reason = reason;
    this.why = why;
  }
}

/** A frame off the contract: reported, skipped, and the client goes on. */
export class RoomErrorEvent extends Event {
  /** @param {string} message */
  constructor(message) {
    super("error");
    this.message = message;
  }
}

/**
 * @typedef {object} RoomClientEventMap
 * @property {JoinedEvent} joined
 * @property {Event} open each join, after its joined frame (the WebSocket surface)
 * @property {RoomMessageEvent} message
 * @property {ReconnectingEvent} reconnecting
 * @property {RoomCloseEvent} close
 * @property {RoomErrorEvent} error
 * @property {Event} pong the room's answer to a text `ping`
 * @property {PresenceEvent} presence a snapshot of who is here (with `{ presence: true }`)
 * @property {MemberJoinEvent} join a user arrived (with `{ presence: true }`)
 * @property {MemberLeaveEvent} leave a user's last connection went (with `{ presence: true }`)
 * @property {AckEvent} ack a message `send` accepted is stored
 * @property {FailedEvent} failed a message still unacked when the client stopped for good
 * @property {PendingEvent} pending the count of unacked messages changed
 */

/** An EventTarget whose `on` types each listener's event from its name. */
export class RoomEvents extends EventTarget {
  /**
   * Typed `addEventListener`; returns a function that removes the listener.
   * @template {keyof RoomClientEventMap} K
   * @param {K} type @param {(event: RoomClientEventMap[K]) => void} listener
   */
  on(type, listener) {
    const handler = /** @type {EventListener} */ (listener);
    this.addEventListener(type, handler);
    return () => this.removeEventListener(type, handler);
  }
}
