"use server";
import { defineAction } from "@/lib/actions/define-action";
import { createUser } from "@/lib/data/users/create-user";
import { ZCreateUser } from "@/lib/data/users/schemas";
import { publish } from "@/lib/realtime/publish";

export const createUserAction = defineAction({
  name: "user.create",
  roles: ["admin"],
  input: ZCreateUser,
  handler: async ({ user, input }) => {
    const created = await createUser({ actor: user, input });
    publish({ type: "user.created", id: created.id }, { roles: ["admin"] });
    return created;
  },
});
