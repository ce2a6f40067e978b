import { listUsers } from "@/lib/data/users/list-users";
import { readRoute } from "@/lib/http/route-handler";

export const GET = readRoute(["admin"], ({ user }) => listUsers({ actor: user }));
