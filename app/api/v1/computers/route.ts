import { apiRead } from "@/lib/api/route";
import { AREA_ROLES } from "@/lib/auth/roles";
import { listComputers } from "@/lib/data/computers/list-computers";

export const GET = apiRead(AREA_ROLES.computers, ({ user }) => listComputers({ actor: user }));
