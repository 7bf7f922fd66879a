// The chat JSON API (chat/api.py), on the shared fetch wrapper (lib/http.js: CSRF, ApiError).

import { request } from "../lib/http.js";

const q = (value) => encodeURIComponent(value ?? "");
const id = (value) => Number(value);

export const listRooms = () => request("GET", "/api/rooms/");
export const createRoom = (data) => request("POST", "/api/rooms/", data);
export const listChannels = (query, opts) => request("GET", `/api/channels/?q=${q(query)}`, undefined, opts);
export const openDm = (userId) => request("POST", "/api/dms/", { user_id: userId });
export const findPeople = (query, opts) => request("GET", `/api/people/?q=${q(query)}`, undefined, opts);
export const getRoom = (roomId) => request("GET", `/api/rooms/${id(roomId)}/`);
export const updateRoom = (roomId, data) => request("PATCH", `/api/rooms/${id(roomId)}/`, data);
export const joinRoom = (roomId) => request("POST", `/api/rooms/${id(roomId)}/join/`);
export const addMembers = (roomId, userIds) =>
  request("POST", `/api/rooms/${id(roomId)}/members/`, { user_ids: userIds });
export const removeMember = (roomId, userId) => request("DELETE", `/api/rooms/${id(roomId)}/members/${id(userId)}/`);
export const transferOwnership = (roomId, userId) =>
  request("POST", `/api/rooms/${id(roomId)}/owner/`, { user_id: userId });
export const listMessages = (roomId, { before } = {}) =>
  request("GET", `/api/rooms/${id(roomId)}/messages/${before ? `?before=${id(before)}` : ""}`);
export const listChanges = (roomId, afterRev) =>
  request("GET", `/api/rooms/${id(roomId)}/messages/?after_rev=${id(afterRev)}`);
export const postMessage = (roomId, data) => request("POST", `/api/rooms/${id(roomId)}/messages/`, data);
/** Edit a plaintext message to ``content`` (content.js). */
export const editMessage = (messageId, content) => request("PATCH", `/api/messages/${id(messageId)}/`, { content });
export const deleteMessage = (messageId) => request("DELETE", `/api/messages/${id(messageId)}/`);
export const setNotifyLevel = (roomId, level) =>
  request("PATCH", `/api/rooms/${id(roomId)}/notifications/`, { notify_level: level });
export const markRead = (roomId, seq) => request("POST", `/api/rooms/${id(roomId)}/read/`, { seq });
