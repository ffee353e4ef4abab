import { describe, expect, it } from "vitest";
import { accept, fetchWorker, upgradeHeaders, waitForMessage } from "../helpers";
import { freshRoom, joinRoom } from "./helpers";

describe("rooms take no test controls", () => {
  it("join as usual with control parameters, bad ones included, and ignore them", async () => {
    const room = freshRoom();
    const response = await fetchWorker(`/rooms/${room}?status=503&close=4001&delay=abc&push=5&hello=1`, {
      headers: upgradeHeaders(),
    });
    expect(response.status).toBe(101);
    const member = accept(response);
    const other = await joinRoom(room);
    other.send("to the room");
    // Not a hello, not a push, not delayed: the first message is the broadcast.
    expect(await waitForMessage(member)).toBe("to the room");
    expect(member.readyState).toBe(WebSocket.OPEN);
    member.close(1000, "done");
  });
});
