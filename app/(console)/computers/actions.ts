"use server";
import { defineAction } from "@/lib/actions/define-action";
import { registerComputer, updateConfiguration } from "@/lib/computers/operations";
import { ZRegisterComputer, ZUpdateConfiguration } from "@/lib/data/computers/schemas";
import { publish } from "@/lib/realtime/publish";

export const registerComputerAction = defineAction({
  name: "computer.register",
  roles: ["admin"],
  input: ZRegisterComputer,
  target: (i) => ({ computerName: i.name }),
  handler: async ({ user, input }) => {
    const result = await registerComputer({ actor: user, input });
    publish({ type: "computer.updated", id: result.id }, { roles: ["technician", "manager", "helpdesk", "admin"] });
    return result;
  },
});

export const updateConfigurationAction = defineAction({
  name: "configuration.update",
  roles: ["admin"],
  input: ZUpdateConfiguration,
  handler: async ({ user, input, setTarget }) => updateConfiguration({ actor: user, input, setTarget }),
});
