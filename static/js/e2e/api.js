// The E2E endpoints (e2e/urls.py), on the chat app's fetch wrapper (CSRF, errors as ApiError).
import { request } from "../lib/http.js";

const id = (value) => Number(value);

export const getState = () => request("GET", "/api/e2e/");
export const publishIdentity = (identity, backup) => request("POST", "/api/e2e/identity/", { identity, backup });
export const getBackup = () => request("GET", "/api/e2e/backup/");
// Replacing the backup or the identity needs the login password (attack 16: not the cookie alone).
export const replaceBackup = (backup, loginPassword) =>
  request("PUT", "/api/e2e/backup/", { backup, login_password: loginPassword });
export const confirmPasswordSaved = () => request("POST", "/api/e2e/password-saved/");
export const resetIdentity = (identity, backup, loginPassword) =>
  request("POST", "/api/e2e/reset/", { identity, backup, login_password: loginPassword });
export const getIdentities = (userIds) => request("GET", `/api/e2e/identities/?ids=${userIds.map(id).join(",")}`);

export const createEncryptedRoom = (data) => request("POST", "/api/e2e/rooms/", data);
export const openEncryptedDm = (data) => request("POST", "/api/e2e/dms/", data);
export const encryptRoom = (roomId, data) => request("POST", `/api/e2e/rooms/${id(roomId)}/encrypt/`, data);
export const getRoomKeys = (roomId) => request("GET", `/api/e2e/rooms/${id(roomId)}/keys/`);
export const getRoomState = (roomId, from = 0) =>
  request("GET", `/api/e2e/rooms/${id(roomId)}/state/?from=${Number(from)}`);
export const appendRoomState = (roomId, entries) => request("POST", `/api/e2e/rooms/${id(roomId)}/state/`, { entries });
export const getRoomAccess = (roomId) => request("GET", `/api/e2e/rooms/${id(roomId)}/access/`);
export const shareKeys = (roomId, shares, entries = []) =>
  request("POST", `/api/e2e/rooms/${id(roomId)}/share/`, { shares, entries });
export const addEncryptedMembers = (roomId, data) => request("POST", `/api/e2e/rooms/${id(roomId)}/members/`, data);
export const rotateKey = (roomId, data) => request("POST", `/api/e2e/rooms/${id(roomId)}/rotate/`, data);
export const setRoomPolicy = (roomId, entries) => request("POST", `/api/e2e/rooms/${id(roomId)}/policy/`, { entries });
export const postEncryptedMessage = (roomId, data) => request("POST", `/api/e2e/rooms/${id(roomId)}/messages/`, data);
export const editEncryptedMessage = (messageId, payload) =>
  request("PATCH", `/api/e2e/messages/${id(messageId)}/`, { payload });
export const deleteEncryptedMessage = (messageId, payload) =>
  request("DELETE", `/api/e2e/messages/${id(messageId)}/`, { payload });
export const listOwnMessages = (roomId) => request("GET", `/api/e2e/rooms/${id(roomId)}/messages/`);
export const getTrustRecord = () => request("GET", "/api/e2e/trust/");
export const putTrustRecord = (record) => request("PUT", "/api/e2e/trust/", { record });
