// Reads Face request bodies as ASP.NET Web API's JSON formatter does with
// Json.NET: a StreamReader with BOM detection, a JsonTextReader, and
// JsonSerializer.Deserialize with default settings (text after the value
// is not checked). One request per input line: "<kind> <body in hex>".
// Prints one line per request: "ERR <message>" or "OK <the values,
// re-serialised as strict JSON>".
using System;
using System.IO;
using System.Text;
using Newtonsoft.Json;

public class Create {
    public string name;
    public string userData;
    public string recognitionModel;
}

public class Identify {
    public Guid[] faceIds;
    public string personGroupId;
    public int? maxNumOfCandidatesReturned;
    public float? confidenceThreshold;
}

public class Group {
    public Guid[] faceIds;
}

public enum LivenessOperationMode { Passive, PassiveActive }

public class Liveness {
    public LivenessOperationMode? livenessOperationMode;
    public string deviceCorrelationId;
    public bool? deviceCorrelationIdSetInClient;
    public int? authTokenTimeToLiveInSeconds;
    public bool? sendResultsToClient;
}

public static class Reader {
    public static void Main() {
        var serializer = JsonSerializer.CreateDefault();
        var settings = new JsonSerializerSettings {
            NullValueHandling = NullValueHandling.Ignore,
            FloatFormatHandling = FloatFormatHandling.String,
        };
        string line;
        var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
        while ((line = stdin.ReadLine()) != null) {
            var parts = line.Split(' ');
            var hex = parts[1];
            var body = new byte[hex.Length / 2];
            for (int i = 0; i < body.Length; i++) {
                body[i] = Convert.ToByte(hex.Substring(2 * i, 2), 16);
            }
            var type = parts[0] == "identify" ? typeof(Identify)
                : parts[0] == "group" ? typeof(Group)
                : parts[0] == "liveness" ? typeof(Liveness)
                : typeof(Create);
            try {
                object value;
                using (var text = new StreamReader(new MemoryStream(body), Encoding.UTF8, true))
                using (var reader = new JsonTextReader(text)) {
                    value = serializer.Deserialize(reader, type);
                }
                Console.WriteLine(value == null ? "ERR null" : "OK " + JsonConvert.SerializeObject(value, settings));
            } catch (Exception e) {
                Console.WriteLine("ERR " + e.GetType().Name);
            }
        }
    }
}
