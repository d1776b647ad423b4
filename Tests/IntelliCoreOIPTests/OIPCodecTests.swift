import Foundation
import IntelliCoreEvents
@testable import IntelliCoreOIP
import Testing

@Suite struct OIPCodecTests {
    static let json = #"""
        {"id":"r-1","model_name":"churn","model_version":"3","alias":null,"parameters":{"entity":"c-9","nested":[1,{"a":"\"x\""}]},
         "inputs":[{"name":"input","shape":[2,3],"datatype":"FP32","data":[[1.5,-2e-3,3],[4,5.25E2,-0.0]]},
                   {"name":"plan","shape":[2],"datatype":"BYTES","data":["pro","free"]}],
         "outputs":[{"name":"probabilities"}]}
        """#

    @Test func byteLevelDecoderAgreesWithCodable() throws {
        let fast = try OIPRequest.decode(Array(Self.json.utf8))
        let slow = OIPRequest(try EventCodec.decode(PredictionRequested.self, from: Array(Self.json.utf8)))
        #expect(fast.id == slow.id && fast.modelName == slow.modelName && fast.modelVersion == "3" && fast.alias == nil)
        #expect(fast.inputs.count == 2)
        #expect(fast.inputs[0].shape == [2, 3] && fast.inputs[0].numbers == slow.inputs[0].numbers)
        #expect(fast.inputs[0].numbers == [1.5, -0.002, 3, 4, 525, 0])
        #expect(fast.inputs[1].strings == ["pro", "free"])
    }

    @Test(arguments: ["", "{", #"{"id":"x"}"#, #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1,"b"]}]}"#,
                      #"{"id":"x","model_name":"m","inputs":[]} trailing"#, #"{"id":"x","model_name":"m","inputs":[{"name":"a","shape":[-1],"datatype":"FP32","data":[1]}]}"#])
    func malformedRequestsAreErrorsNotCrashes(text: String) {
        #expect(throws: (any Error).self) { try OIPRequest.decode(Array(text.utf8)) }
    }

    @Test func escapedStringsFallBackToCodable() throws {
        let text = #"{"id":"r\"1","model_name":"m","inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[7]}]}"#
        let request = try OIPRequest.decode(Array(text.utf8))
        #expect(request.id == "r\"1" && request.inputs[0].numbers == [7])
    }

    @Test func resultEncoderProducesWhatEventCodecReads() throws {
        let values: [Float] = [0.25, 0.75, 1e-7, 3]
        let completed = values.withUnsafeBufferPointer {
            OIPResultEncoder.completed(id: "r\"1", model: "churn", version: 4, outputName: "probabilities", rows: 2, columns: 2,
                                       values: $0, shadow: true, queueSeconds: 0.001, computeSeconds: 0.0002, totalSeconds: 0.002)
        }
        let decoded = try EventCodec.decode(PredictionCompleted.self, from: completed)
        #expect(decoded.id == "r\"1" && decoded.modelVersion == "4" && decoded.shadow == true)
        // Each Float is written in its shortest form, which reads back as exactly the same Float.
        guard case .numbers(let numbers) = decoded.outputs[0].data else { Issue.record("not numbers"); return }
        #expect(decoded.outputs[0].shape == [2, 2] && numbers.map(Float.init) == values)
        #expect(decoded.timings?.totalSeconds == 0.002)
        let failed = OIPResultEncoder.failed(id: "r2", model: "churn", version: nil, code: "invalid_shape", message: "bad\nshape", shadow: false)
        let failure = try EventCodec.decode(PredictionFailed.self, from: failed)
        #expect(failure.code == "invalid_shape" && failure.message == "bad\nshape" && failure.modelVersion == nil)
    }

    @Test func protobufRequestAndResponseRoundTrip() throws {
        // ModelInferRequest{model_name, id, parameters{alias: "canary"}, inputs[{name, datatype, shape packed, contents{fp32 packed}}]}
        var contents = OIPProtobuf.Writer()
        contents.tag(6, 2)
        contents.varint(12)
        for value: Float in [1, -2.5, 3] { contents.bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
        var shape = OIPProtobuf.Writer()
        shape.varint(1); shape.varint(3)
        var tensor = OIPProtobuf.Writer()
        tensor.string(1, "input"); tensor.string(2, "FP32"); tensor.message(3, shape.bytes); tensor.message(5, contents.bytes)
        var parameterValue = OIPProtobuf.Writer()
        parameterValue.string(3, "canary")
        var parameter = OIPProtobuf.Writer()
        parameter.string(1, "alias"); parameter.message(2, parameterValue.bytes)
        var request = OIPProtobuf.Writer()
        request.string(1, "churn"); request.string(3, "p-1"); request.message(4, parameter.bytes); request.message(5, tensor.bytes)
        let decoded = try OIPProtobuf.decodeRequest(request.bytes)
        #expect(decoded.modelName == "churn" && decoded.id == "p-1" && decoded.alias == "canary" && decoded.modelVersion == nil)
        #expect(decoded.inputs.count == 1 && decoded.inputs[0].shape == [1, 3] && decoded.inputs[0].numbers == [1, -2.5, 3])

        let response = [Float](arrayLiteral: 0.5, 0.5).withUnsafeBufferPointer {
            OIPProtobuf.encodeResponse(id: "p-1", model: "churn", version: 2, outputName: "probabilities", rows: 1, columns: 2, values: $0, shadow: false)
        }
        // Read it back with the same wire reader: fields 1, 2, 3 and one output.
        var fields: [Int] = []
        try response.withUnsafeBufferPointer { bytes in
            var reader = OIPProtobuf.Reader(bytes)
            while !reader.atEnd {
                let (field, wire) = try reader.tag()
                fields.append(field)
                try reader.skip(wire)
            }
        }
        #expect(fields == [1, 2, 3, 5])
        #expect(throws: OIPProtobuf.Failure.self) { try OIPProtobuf.decodeRequest([0x0A, 0x7F, 0x01]) }
    }
}
