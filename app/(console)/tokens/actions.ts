"use server";
import { defineAction } from "@/lib/actions/define-action";
import { ROLES } from "@/lib/auth/roles";
import { createAccessToken, revokeAccessToken, ZAccessTokenRef, ZCreateAccessToken } from "@/lib/auth/access-tokens";

// Every role may have tokens: a token does what its user (or its narrower role) may, no more.
// The audit event records the name, expiry and role; the token's value is returned once, here.

export const createAccessTokenAction = defineAction({
  name: "token.create",
  roles: ROLES,
  input: ZCreateAccessToken,
  handler: async ({ user, input }) => createAccessToken({ actor: user, input }),
});

export const revokeAccessTokenAction = defineAction({
  name: "token.revoke",
  roles: ROLES,
  input: ZAccessTokenRef,
  handler: async ({ user, input }) => revokeAccessToken({ actor: user, tokenId: input.tokenId }),
});
