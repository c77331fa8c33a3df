export { apiPlugin } from './api-plugin.ts';
export { createControlApp } from './control-app.ts';
export { absentRoute } from './error-answer.ts';
export { streamEvents } from './event-stream.ts';
export { openApiDocument } from './open-api.ts';
export { defineApi, type RouteRequest } from './route-spec.ts';
export { controlApiErrors } from './control-api-errors.ts';
