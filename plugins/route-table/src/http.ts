/**
 * The routes admin API, for operators (Authorization: Bearer <data/admin.token>):
 *
 *   GET    /admin/routes            the rows in the order they are checked
 *   POST   /admin/routes            { match, target, seq?, mode? } → 201 the new row
 *   PATCH  /admin/routes/{id}       { seq } → the moved row
 *   DELETE /admin/routes/{id}       204
 *   POST   /admin/routes/explain    { chat, sender, text, topic?, verb?, reply_to? } → the explanation
 */
import { ArizukoError, type Host, type RoutesService, type Verb } from "@arizuko/sdk";
import { ADD, DELETE, EXPLAIN, LIST, MOVE } from "./http-schemas.js";

function notFound(id: string): ArizukoError {
  return new ArizukoError("ARZ_ERR_ROUTE_NOT_FOUND", `no route with id ${id}; GET /admin/routes lists them`, { statusCode: 404 });
}

export function registerAdminRoutes(host: Host, routes: RoutesService): void {
  host.http.register({ method: "GET", url: "/admin/routes", auth: "operator", schema: LIST, handler: () => ({ routes: routes.list() }) });

  host.http.register({
    method: "POST",
    url: "/admin/routes",
    auth: "operator",
    schema: ADD,
    handler: (request, reply) => {
      const body = request.body as { match: string; target: string; seq?: number; mode?: "run" | "observe" };
      return reply.code(201).send(routes.add(body));
    },
  });

  host.http.register({
    method: "PATCH",
    url: "/admin/routes/:id",
    auth: "operator",
    schema: MOVE,
    handler: (request) => {
      const { id } = request.params as { id: string };
      const row = routes.move(Number(id), (request.body as { seq: number }).seq);
      if (!row) throw notFound(id);
      return row;
    },
  });

  host.http.register({
    method: "DELETE",
    url: "/admin/routes/:id",
    auth: "operator",
    schema: DELETE,
    handler: (request, reply) => {
      const { id } = request.params as { id: string };
      if (!routes.remove(Number(id))) throw notFound(id);
      return reply.code(204).send();
    },
  });

  host.http.register({
    method: "POST",
    url: "/admin/routes/explain",
    auth: "operator",
    schema: EXPLAIN,
    handler: (request) => {
      const body = request.body as { chat: string; sender: string; text: string; topic?: string; verb?: Verb; reply_to?: string };
      return host.routing.explain({
        chat: body.chat,
        sender: body.sender,
        text: body.text,
        ...(body.topic !== undefined && { topic: body.topic }),
        ...(body.verb !== undefined && { verb: body.verb }),
        ...(body.reply_to !== undefined && { replyTo: body.reply_to }),
      });
    },
  });
}
