import { apiJson } from "@/lib/api/route";
import { openApiDocument } from "@/lib/api/openapi";

// Public: the document describes the API, it grants nothing.
export const GET = (request: Request) => apiJson(openApiDocument(new URL(request.url).origin));
