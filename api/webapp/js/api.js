// The client API (/api/v1, docs/api.md): every call carries Authorization: tma <initData>.
import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(typeof detail === "string" ? detail : (detail?.[0]?.msg ?? code ?? `HTTP ${status}`));
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

export function makeApi(initData) {
  async function call(method, path, body) {
    const headers = { Authorization: `tma ${initData}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(`/api/v1${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", t("the server cannot be reached; try again"));
    }
    if (!response.ok) {
      let error = {};
      try { error = await response.json(); } catch { /* not JSON */ }
      throw new ApiError(response.status, error.error, error.detail);
    }
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.blob();
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    patch: (path, body) => call("PATCH", path, body),
    del: (path) => call("DELETE", path),
  };
}

// The file straight to S3 with the presigned POST (its fields, then the file, last), with
// progress: XMLHttpRequest reports upload progress, fetch does not.
export function uploadToS3(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300
      ? resolve()
      : reject(new Error(`the storage refused the file (HTTP ${xhr.status})`)));
    xhr.onerror = () => reject(new Error("the upload failed (network); try again"));
    xhr.send(form);
  });
}
