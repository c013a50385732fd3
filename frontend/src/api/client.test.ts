import { describe, expect, it } from "vitest";
import { api, ApiError, errorFrom, unwrap } from "./client";
import { fakeServer } from "../test/server";

describe("API client", () => {
  it("turns the error shape into a message, naming the first field when the detail is generic", () => {
    expect(errorFrom(409, { detail: "The ticket changed.", code: "conflict" }).message).toBe("The ticket changed.");
    const invalid = errorFrom(400, { detail: "Invalid input.", code: "invalid", errors: { title: ["This field is required."] } });
    expect(invalid.message).toBe("title: This field is required.");
    expect(invalid.fields.title).toEqual(["This field is required."]);
    expect(errorFrom(502, "<html>bad gateway</html>").message).toBe("The server answered 502.");
  });

  it("throws an ApiError with the server's message, and a readable one when the server is unreachable", async () => {
    fakeServer({ "GET /api/v1/tickets/{id}": { body: {} } });
    await expect(unwrap(api.GET("/api/v1/tickets/{id}", { params: { path: { id: 999 } } }))).rejects.toMatchObject({ status: 404, message: "Not found." });
    globalThis.fetch = () => Promise.reject(new TypeError("Failed to fetch"));
    const failure = await unwrap(api.GET("/api/v1/me")).catch((e) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure.message).toMatch(/could not be reached/);
  });
});
