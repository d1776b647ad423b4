import Foundation
import Synchronization

/// `cublasSgemm` on an NVIDIA GPU, with cuBLAS and the CUDA runtime loaded at run time.
///
/// Nothing links against CUDA: the libraries are opened with `dlopen` when this backend is
/// created, so the project builds and runs everywhere, and asking for CUDA on a machine without
/// it fails at start with a clear message. Row-major products are computed as the column-major
/// product Cᵀ = Bᵀ·Aᵀ, which needs no transposition. Device buffers grow as needed and are
/// reused; calls are serialised on one cuBLAS handle.
public final class CUDABackend: NumericsBackend, @unchecked Sendable {
    // @unchecked: the function pointers never change after init; device state is behind `lock`.
    public let name = "cuda"

    private typealias CudaMalloc = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int) -> Int32
    private typealias CudaFree = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    private typealias CudaMemcpy = @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias CudaGetDeviceCount = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    private typealias CublasCreate = @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias CublasDestroy = @convention(c) (OpaquePointer?) -> Int32
    private typealias CublasSgemm = @convention(c) (OpaquePointer?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>,
                                                    UnsafeRawPointer?, Int32, UnsafeRawPointer?, Int32, UnsafePointer<Float>,
                                                    UnsafeMutableRawPointer?, Int32) -> Int32

    private static let hostToDevice: Int32 = 1, deviceToHost: Int32 = 2
    private static let opN: Int32 = 0, opT: Int32 = 1

    private let malloc: CudaMalloc, free: CudaFree, memcpy: CudaMemcpy
    private let destroy: CublasDestroy, gemm: CublasSgemm
    private let handle: OpaquePointer?
    private let lock = NSLock()
    private var buffers: [(pointer: UnsafeMutableRawPointer?, bytes: Int)] = [(nil, 0), (nil, 0), (nil, 0)]

    /// Loads CUDA; throws `backendUnavailable` naming what is missing.
    public init() throws(NumericsError) {
        func open(_ names: [String]) throws(NumericsError) -> UnsafeMutableRawPointer {
            for name in names { if let library = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return library } }
            throw NumericsError(.backendUnavailable, "INFERENCE_BACKEND=cuda, but \(names[0]) could not be loaded (\(String(cString: dlerror()))): install the NVIDIA driver and CUDA runtime, or use openblas")
        }
        func symbol<T>(_ library: UnsafeMutableRawPointer, _ name: String, as _: T.Type) throws(NumericsError) -> T {
            guard let pointer = dlsym(library, name) else { throw NumericsError(.backendUnavailable, "\(name) is missing from the CUDA libraries") }
            return unsafeBitCast(pointer, to: T.self)
        }
        let runtime = try open(["libcudart.so", "libcudart.so.12", "libcudart.so.11.0"])
        let cublas = try open(["libcublas.so", "libcublas.so.12", "libcublas.so.11"])
        let count = try symbol(runtime, "cudaGetDeviceCount", as: CudaGetDeviceCount.self)
        var devices: Int32 = 0
        let status = count(&devices)
        guard status == 0, devices > 0 else {
            throw NumericsError(.backendUnavailable, "INFERENCE_BACKEND=cuda, but no CUDA device is visible (cudaGetDeviceCount: status \(status), \(devices) devices)")
        }
        malloc = try symbol(runtime, "cudaMalloc", as: CudaMalloc.self)
        free = try symbol(runtime, "cudaFree", as: CudaFree.self)
        memcpy = try symbol(runtime, "cudaMemcpy", as: CudaMemcpy.self)
        destroy = try symbol(cublas, "cublasDestroy_v2", as: CublasDestroy.self)
        gemm = try symbol(cublas, "cublasSgemm_v2", as: CublasSgemm.self)
        let create = try symbol(cublas, "cublasCreate_v2", as: CublasCreate.self)
        var created: OpaquePointer?
        let createStatus = create(&created)
        guard createStatus == 0 else { throw NumericsError(.backendUnavailable, "cublasCreate failed with status \(createStatus)") }
        handle = created
    }

    deinit {
        for buffer in buffers where buffer.pointer != nil { _ = free(buffer.pointer) }
        _ = destroy(handle)
    }

    public func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                      a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) throws(NumericsError) {
        try validateSgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc)
        guard m > 0, n > 0 else { return }
        let bytesA = (transposeA ? k : m) * lda * 4, bytesB = (transposeB ? n : k) * ldb * 4, bytesC = m * ldc * 4
        lock.lock()
        defer { lock.unlock() }
        let dA = try device(0, bytes: bytesA), dB = try device(1, bytes: bytesB), dC = try device(2, bytes: bytesC)
        try check(memcpy(dA, a, bytesA, Self.hostToDevice), "copy A")
        try check(memcpy(dB, b, bytesB, Self.hostToDevice), "copy B")
        if beta != 0 { try check(memcpy(dC, c, bytesC, Self.hostToDevice), "copy C") }
        var alpha = alpha, beta = beta
        // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ with the same buffers.
        let status = gemm(handle, transposeB ? Self.opT : Self.opN, transposeA ? Self.opT : Self.opN, Int32(n), Int32(m), Int32(k),
                          &alpha, dB, Int32(ldb), dA, Int32(lda), &beta, dC, Int32(ldc))
        guard status == 0 else { throw NumericsError(.deviceFailure, "cublasSgemm failed with status \(status)") }
        try check(memcpy(c, dC, bytesC, Self.deviceToHost), "copy C back")
    }

    private func device(_ slot: Int, bytes: Int) throws(NumericsError) -> UnsafeMutableRawPointer? {
        if buffers[slot].bytes >= bytes { return buffers[slot].pointer }
        if buffers[slot].pointer != nil { _ = free(buffers[slot].pointer) }
        var pointer: UnsafeMutableRawPointer?
        let size = max(bytes, buffers[slot].bytes * 2)
        try check(malloc(&pointer, size), "cudaMalloc \(size) bytes")
        buffers[slot] = (pointer, size)
        return pointer
    }

    private func check(_ status: Int32, _ what: String) throws(NumericsError) {
        guard status == 0 else { throw NumericsError(.deviceFailure, "\(what) failed with CUDA status \(status)") }
    }
}
