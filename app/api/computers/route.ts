import { AREA_ROLES } from "@/lib/auth/roles";
import { listComputers } from "@/lib/data/computers/list-computers";
import { readRoute } from "@/lib/http/route-handler";

export const GET = readRoute(AREA_ROLES.computers, ({ user }) => listComputers({ actor: user }));
