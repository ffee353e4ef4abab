/** `POST /rooms/:name` with `Idempotency-Key`: a repeat within the window is answered, not delivered again. */
import { describe, expect, it } from "vitest";
import { BAD_KEY, KEY_HISTORY_OFF } from "../../../../src/rooms/acks/identity";
import { fetchWithVars } from "../../helpers";
import { freshRoom } from "../helpers";
import { joinPositioned } from "../history/positioned";

function post(room: string, body: string, headers: Record<string, string> = {}, vars: Partial<Env> = {}) {
  return fetchWithVars(`/rooms/${room}`, vars, {
    method: "POST",
    body,
    headers: { "Content-Type": "text/plain", ...headers },
  });
}

describe("a publish with Idempotency-Key", () => {
  it("sent twice is delivered once; both answers give the first position, the repeat duplicate: true", async () => {
    const room = freshRoom();
    const member = await joinPositioned(room, "history=0");
    await member.frameCount(1);
    const first = await post(room, "once", { "Idempotency-Key": "order-17" });
    const repeat = await post(room, "once", { "Idempotency-Key": "order-17" });
    const other = await post(room, "another", { "Idempotency-Key": "order-18" });
    expect([first.status, repeat.status, other.status]).toEqual([202, 202, 202]);
    const [a, b] = [await first.json(), await repeat.json()];
    expect(a).toMatchObject({ position: expect.any(String), duplicate: false });
    expect(b).toEqual({ ...(a as object), duplicate: true });
    await member.frameCount(3);
    expect(member.frames.slice(1).map(({ data, id, via }) => [data, id, via])).toEqual([
      ["once", "order-17", "http"],
      ["another", "order-18", "http"],
    ]);
  });

  it("without the key answers the position too, and every publish is delivered", async () => {
    const room = freshRoom();
    const [a, b] = [await post(room, "x"), await post(room, "x")];
    const [bodyA, bodyB] = [(await a.json()) as { position: string }, (await b.json()) as { position: string }];
    expect(bodyA).toMatchObject({ room, type: "text", bytes: 1, duplicate: false });
    expect(bodyA.position).not.toBe(bodyB.position);
  });

  it.each([
    ["with history off", { "Idempotency-Key": "k" }, { ROOM_HISTORY_MESSAGES: "0" }, KEY_HISTORY_OFF],
    ["with a key of 65 characters", { "Idempotency-Key": "k".repeat(65) }, {}, BAD_KEY],
  ])("is refused with 400 %s", async (_what, headers, vars: Partial<Env>, reason) => {
    const response = await post(freshRoom(), "x", headers, vars);
    expect(response.status).toBe(400);
    expect((await response.text()).trim()).toBe(reason);
  });

  it("with history off and no key keeps today's answer", async () => {
    const response = await post(freshRoom(), "x", {}, { ROOM_HISTORY_MESSAGES: "0" });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ room: expect.any(String), type: "text", bytes: 1 });
  });
});
