// PLY point cloud reader: the vertex element's x, y, z and (optional) red, green, blue.
// Reads binary little/big endian and ASCII; elements before "vertex" (rare) are skipped, lists included.

const scalarTypes = {
  char: ['getInt8', 1], int8: ['getInt8', 1],
  uchar: ['getUint8', 1], uint8: ['getUint8', 1],
  short: ['getInt16', 2], int16: ['getInt16', 2],
  ushort: ['getUint16', 2], uint16: ['getUint16', 2],
  int: ['getInt32', 4], int32: ['getInt32', 4],
  uint: ['getUint32', 4], uint32: ['getUint32', 4],
  float: ['getFloat32', 4], float32: ['getFloat32', 4],
  double: ['getFloat64', 8], float64: ['getFloat64', 8],
};

function scalar(type, where) {
  const t = scalarTypes[type];
  if (!t) throw new Error(`PLY: unknown property type '${type}' in ${where}`);
  return t;
}

function parseHeader(bytes) {
  // The header is ASCII and ends with "end_header" plus one newline (LF or CRLF).
  const limit = Math.min(bytes.length, 64 * 1024);
  let text = '';
  for (let i = 0; i < limit; i++) text += String.fromCharCode(bytes[i]);
  const end = text.indexOf('end_header');
  if (!text.startsWith('ply') || end < 0) throw new Error('PLY: not a PLY file (missing "ply" magic or "end_header")');
  let bodyStart = end + 'end_header'.length;
  if (text[bodyStart] === '\r') bodyStart++;
  if (text[bodyStart] === '\n') bodyStart++;

  let format = null;
  const elements = [];
  for (const raw of text.slice(0, end).split(/\r?\n/)) {
    const parts = raw.trim().split(/\s+/);
    switch (parts[0]) {
      case 'format': format = parts[1]; break;
      case 'element': elements.push({ name: parts[1], count: Number(parts[2]), properties: [] }); break;
      case 'property': {
        const element = elements[elements.length - 1];
        if (!element) throw new Error(`PLY: property before any element: '${raw}'`);
        if (parts[1] === 'list') element.properties.push({ name: parts[4], list: true, countType: parts[2], type: parts[3] });
        else element.properties.push({ name: parts[2], list: false, type: parts[1] });
        break;
      }
      default: break;
    }
  }
  if (!['ascii', 'binary_little_endian', 'binary_big_endian'].includes(format)) {
    throw new Error(`PLY: unsupported format '${format}'`);
  }
  for (const e of elements) {
    if (!Number.isInteger(e.count) || e.count < 0) throw new Error(`PLY: bad count for element '${e.name}'`);
  }
  return { format, elements, bodyStart };
}

/** Converts a colour channel to 0..1 whatever its stored type. */
function channelScale(type) {
  return type === 'float' || type === 'float32' || type === 'double' || type === 'float64' ? 1 : 1 / 255;
}

/**
 * @param {ArrayBuffer} buffer
 * @returns {{ count: number, positions: Float32Array, colors: Float32Array | null }}
 *   colours are sRGB 0..1 as stored in the file.
 */
export function readPlyPointCloud(buffer) {
  const bytes = new Uint8Array(buffer);
  const { format, elements, bodyStart } = parseHeader(bytes);
  const vertexIndex = elements.findIndex(e => e.name === 'vertex');
  if (vertexIndex < 0) throw new Error('PLY: no "vertex" element');
  const vertex = elements[vertexIndex];
  const at = name => vertex.properties.findIndex(p => p.name === name);
  const ix = at('x'), iy = at('y'), iz = at('z');
  if (ix < 0 || iy < 0 || iz < 0) throw new Error('PLY: vertex element lacks x, y or z');
  const ir = at('red'), ig = at('green'), ib = at('blue');
  const hasColor = ir >= 0 && ig >= 0 && ib >= 0;
  const count = vertex.count;
  const positions = new Float32Array(count * 3);
  const colors = hasColor ? new Float32Array(count * 3) : null;
  const colorScale = hasColor ? [ir, ig, ib].map(i => channelScale(vertex.properties[i].type)) : null;
  const values = new Float64Array(vertex.properties.length);

  if (format === 'ascii') {
    const text = new TextDecoder().decode(bytes.subarray(bodyStart));
    const tokens = text.split(/\s+/).filter(Boolean);
    let t = 0;
    const take = () => {
      if (t >= tokens.length) throw new Error('PLY: ASCII body ends early');
      return Number(tokens[t++]);
    };
    for (let e = 0; e < vertexIndex; e++) {
      for (let n = 0; n < elements[e].count; n++) {
        for (const p of elements[e].properties) {
          if (p.list) { const c = take(); for (let k = 0; k < c; k++) take(); } else take();
        }
      }
    }
    for (let n = 0; n < count; n++) {
      for (let p = 0; p < vertex.properties.length; p++) {
        if (vertex.properties[p].list) throw new Error('PLY: list properties on vertices are not supported');
        values[p] = take();
      }
      store(n, values);
    }
  } else {
    const little = format === 'binary_little_endian';
    const view = new DataView(buffer);
    let offset = bodyStart;
    const read = (type, where) => {
      const [getter, size] = scalar(type, where);
      if (offset + size > view.byteLength) throw new Error(`PLY: binary body ends early in ${where}`);
      const v = view[getter](offset, little);
      offset += size;
      return v;
    };
    for (let e = 0; e < vertexIndex; e++) {
      const el = elements[e];
      for (let n = 0; n < el.count; n++) {
        for (const p of el.properties) {
          if (p.list) {
            const c = read(p.countType, el.name);
            offset += c * scalar(p.type, el.name)[1];
          } else offset += scalar(p.type, el.name)[1];
        }
      }
    }
    const props = vertex.properties.map(p => {
      if (p.list) throw new Error('PLY: list properties on vertices are not supported');
      return scalar(p.type, 'vertex');
    });
    const stride = props.reduce((s, [, size]) => s + size, 0);
    if (offset + stride * count > view.byteLength) {
      throw new Error(`PLY: body holds ${Math.floor((view.byteLength - offset) / stride)} of ${count} vertices`);
    }
    for (let n = 0; n < count; n++) {
      for (let p = 0; p < props.length; p++) {
        const [getter, size] = props[p];
        values[p] = view[getter](offset, little);
        offset += size;
      }
      store(n, values);
    }
  }
  return { count, positions, colors };

  function store(n, v) {
    positions[n * 3] = v[ix];
    positions[n * 3 + 1] = v[iy];
    positions[n * 3 + 2] = v[iz];
    if (colors) {
      colors[n * 3] = v[ir] * colorScale[0];
      colors[n * 3 + 1] = v[ig] * colorScale[1];
      colors[n * 3 + 2] = v[ib] * colorScale[2];
    }
  }
}
