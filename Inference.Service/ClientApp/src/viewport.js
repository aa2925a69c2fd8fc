// The 3D view: one WebGL renderer, orbit controls, and either a voxel volume or a point cloud.
// Renders on demand (after a change or while the orbit damping settles) so an idle page costs nothing.
import {
  AmbientLight, BoxGeometry, BufferAttribute, BufferGeometry, Color, DirectionalLight, DynamicDrawUsage,
  EdgesGeometry, HemisphereLight, InstancedMesh, LineBasicMaterial, LineSegments, MeshLambertMaterial, Object3D,
  PerspectiveCamera, Points, PointsMaterial, Scene, SRGBColorSpace, Sphere, Vector3, WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

const background = 0x1e1f22;

// sRGB byte → linear, because three.js treats vertex and instance colours as linear.
const srgbToLinear = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  srgbToLinear[i] = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

/** Grayscale 0..255 → displayed brightness; lifted so dark voxels stay visible on the dark background. */
export function voxelShade(value) {
  return Math.round(40 + (value * 215) / 255);
}

export class Viewport {
  /** @param {HTMLElement} host */
  constructor(host) {
    this.host = host;
    this.renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = SRGBColorSpace;
    this.renderer.setClearColor(background, 1);
    host.appendChild(this.renderer.domElement);

    this.scene = new Scene();
    this.camera = new PerspectiveCamera(40, 1, 0.1, 5000);
    this.camera.position.set(30, 18, 70);

    // The key light rides with the camera so the side facing the user is always lit.
    this.scene.add(new HemisphereLight(0xf4f4f4, 0x2a2a30, 0.9));
    this.scene.add(new AmbientLight(0xffffff, 0.15));
    this.keyLight = new DirectionalLight(0xffffff, 1.3);
    this.keyLight.position.set(0.6, 0.8, 1);
    this.camera.add(this.keyLight);
    this.scene.add(this.camera);

    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.screenSpacePanning = true;
    this.controls.addEventListener('change', () => this.requestRender());

    this.content = null;
    this.volume = null;
    this.frameRequested = false;
    this.drawnWaiters = [];

    new ResizeObserver(() => this.resize()).observe(host);
    this.resize();
  }

  resize() {
    const width = Math.max(1, this.host.clientWidth);
    const height = Math.max(1, this.host.clientHeight);
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      // update() reports true while damping still moves the camera: keep going until it settles.
      if (this.controls.update()) this.requestRender();
      this.renderer.render(this.scene, this.camera);
      const waiters = this.drawnWaiters.splice(0);
      // The next animation frame only comes once this one has been handed to the compositor.
      if (waiters.length) requestAnimationFrame(() => waiters.forEach(resolve => resolve()));
    });
  }

  /** Resolves once the current scene has been drawn and presented. */
  whenDrawn() {
    return new Promise(resolve => {
      this.drawnWaiters.push(resolve);
      this.requestRender();
    });
  }

  clear() {
    if (!this.content) return;
    this.scene.remove(this.content);
    this.content.traverse(o => {
      if (o.geometry) o.geometry.dispose();
      if (o.material) o.material.dispose();
    });
    if (this.content.dispose) this.content.dispose();
    this.content = null;
    this.volume = null;
  }

  /** Points the camera at a sphere from the front (+z), a little from the right and above. */
  frame(center, radius) {
    const fov = (this.camera.fov * Math.PI) / 180;
    const distance = (radius / Math.sin(fov / 2)) * 1.2;
    const direction = new Vector3(0.45, 0.3, 1).normalize();
    this.camera.position.copy(center).addScaledVector(direction, distance);
    this.camera.near = distance / 100;
    this.camera.far = distance * 10;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(center);
    this.controls.minDistance = radius * 0.2;
    this.controls.maxDistance = radius * 20;
    this.controls.update();
    this.requestRender();
  }

  /**
   * Shows a cubic volume as instanced cubes coloured by value; voxels below the threshold are hidden.
   * @param {{ size: number, data: Uint8Array }} volume  index = z·size² + y·size + x; x right, y up, z to the viewer
   */
  showVolume(volume, threshold) {
    this.clear();
    const { size, data } = volume;
    const capacity = size * size * size;
    const mesh = new InstancedMesh(new BoxGeometry(0.9, 0.9, 0.9), new MeshLambertMaterial({ color: 0xffffff }), capacity);
    mesh.instanceMatrix.setUsage(DynamicDrawUsage);
    // Instance colours exist only after the first setColorAt; create them for all slots up front.
    mesh.setColorAt(0, new Color(1, 1, 1));
    mesh.instanceColor.setUsage(DynamicDrawUsage);
    mesh.frustumCulled = false;

    const frame = new LineSegments(
      new EdgesGeometry(new BoxGeometry(size, size, size)),
      new LineBasicMaterial({ color: 0x4a4d55 }));
    const group = new Object3D();
    group.add(mesh, frame);
    this.scene.add(group);
    this.content = group;
    this.volume = { size, data, mesh };
    const visible = this.setThreshold(threshold);
    // The frame's corners may leave the view; the head inside it stays whole.
    this.frame(new Vector3(0, 0, 0), (size * Math.sqrt(3)) / 2 * 0.9);
    return visible;
  }

  /** Re-lays the instances for a new threshold; returns how many voxels are shown. */
  setThreshold(threshold) {
    if (!this.volume) return 0;
    const { size, data, mesh } = this.volume;
    const half = (size - 1) / 2;
    const matrices = mesh.instanceMatrix.array;
    const colors = mesh.instanceColor.array;
    let n = 0;
    for (let z = 0; z < size; z++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const value = data[(z * size + y) * size + x];
          if (value < threshold) continue;
          // Translation-only matrix, column-major as three.js stores it.
          const m = n * 16;
          matrices.fill(0, m, m + 16);
          matrices[m] = 1; matrices[m + 5] = 1; matrices[m + 10] = 1; matrices[m + 15] = 1;
          matrices[m + 12] = x - half; matrices[m + 13] = y - half; matrices[m + 14] = z - half;
          const shade = srgbToLinear[voxelShade(value)];
          colors[n * 3] = shade; colors[n * 3 + 1] = shade; colors[n * 3 + 2] = shade;
          n++;
        }
      }
    }
    mesh.count = n;
    mesh.instanceMatrix.clearUpdateRanges();
    mesh.instanceMatrix.addUpdateRange(0, n * 16);
    mesh.instanceMatrix.needsUpdate = true;
    mesh.instanceColor.clearUpdateRanges();
    mesh.instanceColor.addUpdateRange(0, n * 3);
    mesh.instanceColor.needsUpdate = true;
    this.requestRender();
    return n;
  }

  /** Shows a coloured point cloud ({ count, positions, colors } with sRGB 0..1 colours). */
  showPoints(cloud) {
    this.clear();
    const geometry = new BufferGeometry();
    geometry.setAttribute('position', new BufferAttribute(cloud.positions, 3));
    if (cloud.colors) {
      const linear = new Float32Array(cloud.colors.length);
      for (let i = 0; i < linear.length; i++) {
        linear[i] = srgbToLinear[Math.max(0, Math.min(255, Math.round(cloud.colors[i] * 255)))];
      }
      geometry.setAttribute('color', new BufferAttribute(linear, 3));
    }
    geometry.computeBoundingSphere();
    const sphere = geometry.boundingSphere || new Sphere(new Vector3(), 1);
    const radius = sphere.radius > 0 && Number.isFinite(sphere.radius) ? sphere.radius : 1;
    // Denser clouds get smaller points so the surface neither speckles nor blobs.
    const spacing = (radius * 2.2) / Math.sqrt(Math.max(cloud.count, 1));
    const material = new PointsMaterial({
      size: Math.min(radius * 0.05, Math.max(radius * 0.004, spacing * 1.6)),
      sizeAttenuation: true,
      vertexColors: Boolean(cloud.colors),
      color: cloud.colors ? 0xffffff : 0xc8c8c8,
    });
    const points = new Points(geometry, material);
    this.scene.add(points);
    this.content = points;
    this.frame(sphere.center.clone(), radius);
  }
}
